using System.Diagnostics;
using Xunit;

namespace BnVerify.Verify;

/// <summary>The real program as a child process: Program.cs passes the exit code through and writes errors to stderr.</summary>
public sealed class CliProcessTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private static (int ExitCode, string Stdout, string Stderr) RunProcess(params string[] args)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "BnVerify.Bench.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(program);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["CI"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "bnverify did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Cases_on_the_golden_folder_exits_0_and_writes_the_results_file()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var (code, stdout, stderr) = RunProcess(["cases", Path.Combine("golden", "torch"), "--json", output, "--emit-gradients", .. Support.Ids.GoldenImplArgs]);
        Assert.True(code == 0, stdout + stderr);
        Assert.Empty(stderr);
        Assert.Contains("\"format\": \"bnverify-results/1\"", File.ReadAllText(output));
        Assert.DoesNotContain("\u001b[", stdout); // CI=true: plain text, no escape codes
    }

    [Fact]
    public void Bad_input_exits_2_with_one_line_on_stderr()
    {
        var (code, stdout, stderr) = RunProcess("cases", "no-such-folder");
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal("bnverify: error: no-such-folder: no such file or folder", stderr.TrimEnd());
    }
}
