using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// <c>--assembly</c>: a user's built assembly (the fixture project verify/Fixtures/UserBackwards, built with the
/// solution but never referenced) is loaded in its own context and its implementations are checked beside the
/// built-in ones; every bad path is one line, exit 2.
/// </summary>
public sealed class UserAssemblyTests : IClassFixture<CliFixture>
{
    private readonly CliFixture _fixture;

    public UserAssemblyTests(CliFixture fixture) => _fixture = fixture;

    /// <summary>The fixture's built assembly, in the same configuration as the test assembly.</summary>
    private static string UserDll
    {
        get
        {
            // verify/bin/<Configuration>/net10.0/ → verify/Fixtures/UserBackwards/bin/<Configuration>/net10.0/
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string configuration = output.Parent!.Name, framework = output.Name;
            string verifyFolder = output.Parent.Parent!.Parent!.FullName;
            return Path.Combine(verifyFolder, "Fixtures", "UserBackwards", "bin", configuration, framework, "BnVerify.Fixtures.UserBackwards.dll");
        }
    }

    [Fact]
    public void List_shows_the_users_implementations_beside_the_built_in_ones()
    {
        Assert.True(File.Exists(UserDll), $"the fixture was not built: {UserDll}");
        var run = CliFixture.Run("list", "--assembly", UserDll);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("user-closed-form", run.Stdout);
        Assert.Contains("user-variance-slip", run.Stdout);
        Assert.Contains("alt-simplified", run.Stdout);
    }

    [Fact]
    public void Check_judges_the_users_implementations_a_throwing_constructor_included()
    {
        var run = CliFixture.Run("check", "--assembly", UserDll, "--impl", "user-closed-form,user-variance-slip,UserBackwards.UserNeedsGpu",
            "--cases", "15", "--seed", "3");
        Assert.Equal(1, run.ExitCode); // two of them are declared correct but are not
        Assert.Matches(@"user-closed-form +correct +correct +0/92", run.Stdout); // 77 scheduled shapes + 15 random
        Assert.Matches(@"user-variance-slip +correct +flawed", run.Stdout);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", run.Stdout);
        Assert.Contains("its constructor threw InvalidOperationException: no CUDA device found", run.Stdout);
    }

    [Fact]
    public void A_missing_file_is_one_line_exit_2()
    {
        var run = CliFixture.Run("check", "--assembly", Path.Combine(_fixture.Folder, "missing.dll"));
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("missing.dll: no such file", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_one_line_exit_2()
    {
        string path = _fixture.WriteCase("notes.dll", "not a portable executable");
        var run = CliFixture.Run("list", "--assembly", path);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("notes.dll: not a .NET assembly", run.Stderr);
    }

    [Fact]
    public void An_assembly_with_no_implementation_is_one_line_exit_2()
    {
        string xunit = typeof(FactAttribute).Assembly.Location;
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--assembly", xunit);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("holds no public class implementing BnVerify's IBatchNormBackward", run.Stderr);
    }

    [Fact]
    public void The_benchmark_verifies_and_ranks_the_users_implementations_beside_the_built_in_ones()
    {
        // The smallest run, dry (one cold call per benchmark): the user's correct closed form and its slip, beside a built-in
        // one, one small shape. It asserts the wiring (ids from the assembly timed, verdicts, the exact command in the report),
        // nothing about speed.
        string output = Path.Combine(_fixture.NewFolder(), "report");
        var run = CliFixture.Run("--dry", "--assembly", UserDll, "--impl", "user-closed-form,user-variance-slip,alt-simplified",
            "--type", "f64", "--shape", "64x16", "--rounds", "2", "--out", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string report = File.ReadAllText(Path.Combine(output, "benchmark-report.md"));
        Assert.Contains($"--dry --impl user-closed-form user-variance-slip alt-simplified --type f64 --shape 64x16 --rounds 2 --assembly {UserDll} --out {output}`", report);
        Assert.Matches(@"\| [12] \| (\*\*)?user-closed-form(\*\*)? \| correct \|", report);
        Assert.Matches(@"\| — \| user-variance-slip \| \*\*FLAWED\*\* \|", report);
        // Found flawed though declared correct: the doctor's diagnosis is in the report too.
        Assert.Contains("- `user-variance-slip`: ", report);
    }

    [Fact]
    public void A_bad_assembly_on_the_benchmark_is_one_line_exit_2_and_nothing_written()
    {
        string parent = _fixture.NewFolder();
        string notDll = _fixture.WriteCase("notes.dll", "not a portable executable");
        foreach (var (path, problem) in new[] { (Path.Combine(parent, "missing.dll"), "no such file"), (notDll, "not a .NET assembly"), (typeof(FactAttribute).Assembly.Location, "holds no public class") })
        {
            var run = CliFixture.Run("--quick", "--assembly", path, "--type", "f64", "--shape", "64x16", "--out", Path.Combine(parent, "report"));
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"--assembly {path}: {problem}", Assert.Single(run.ErrorLines));
            Assert.Equal("", run.Stdout);
            Assert.Empty(Directory.GetFileSystemEntries(parent));
        }
    }

    [Fact]
    public void An_id_already_taken_is_one_line_exit_2()
    {
        var run = CliFixture.Run("list", "--assembly", UserDll, "--assembly", UserDll);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("is already taken by", run.Stderr);
    }
}
