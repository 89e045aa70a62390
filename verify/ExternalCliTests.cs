using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using static BnVerify.Verify.ExternalTestSupport;

namespace BnVerify.Verify;

/// <summary>
/// <c>check --exec</c> and <c>cases --exec</c> end to end: an external program shows under its own name with declared
/// "unknown", found correct exits 0 and found flawed 1 (with a shrunk case and a diagnosis), and any failure of the
/// program as a program exits 2 with one line on stderr and no results file. Also: Ctrl-C and SIGTERM end the program.
/// </summary>
public sealed class ExternalCliTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private static string Seed002 => ExecCommand(Adapter(Example("seed002_alt.py"), "--forward", "batchnorm_forward", "--backward", "batchnorm_backward_alt"));

    private static string Seed001 => ExecCommand(Adapter(Example("seed001_staged.py"), "--forward", "batchnorm_forward", "--backward", "batchnorm_backward"));

    private static string Row(string stdout, string id) =>
        stdout.Split('\n').Single(l => l.StartsWith(id + " ", StringComparison.Ordinal));

    private static string[] Cells(string row) => row.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Check_finds_seed002s_python_code_flawed_with_a_shrunk_case_and_the_variance_path_diagnosis()
    {
        var run = CliFixture.Run("check", "--seed", "42", "--cases", "40", "--exec", Seed002);
        Assert.True(run.ExitCode == 1, run.Stdout + run.Stderr);
        Assert.Empty(run.Stderr);
        string[] cells = Cells(Row(run.Stdout, "seed002_alt.batchnorm_backward_alt"));
        Assert.Equal(["seed002_alt.batchnorm_backward_alt", "unknown", "flawed"], cells[..3]);
        Assert.Equal("-", cells[7]); // match: not applicable
        Assert.Contains("The variance-path coefficient uses Σdout where Σ(dout·xhat) belongs", CliFixture.Normalized(run.Stdout), StringComparison.Ordinal);
        // Its first failure is the first scheduled shape it fails on (N = 1 has dx = 0 whatever the variance path says): 2×1.
        Assert.Contains("seed002_alt.batchnorm_backward_alt: smallest failing case (case 1 of seed 42, 2x1, shrunk to 2x1):", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"seed002_alt.batchnorm_backward_alt-seed42-case1-shrunk\"", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("external: seed002_alt.batchnorm_backward_alt (float64): python adapter, seed002_alt.py", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"seed002_alt\.batchnorm_backward_alt: \d+ requests, [0-9.]+ ms per request on average", run.Stdout);
        Assert.EndsWith("FLAWED: seed002_alt.batchnorm_backward_alt (external program) found flawed (seed 42)\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_finds_seed001s_python_code_correct_and_exits_0()
    {
        // The defaults, the scheduled shapes included (up to 2048×1024, whose request gets twice the time limit).
        var run = CliFixture.Run("check", "--seed", "42", "--cases", "40", "--exec", Seed001);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        string[] cells = Cells(Row(run.Stdout, "seed001_staged.batchnorm_backward"));
        Assert.Equal(["seed001_staged.batchnorm_backward", "unknown", "correct", "0/117"], cells[..4]);
        Assert.Equal("-", cells[^1]);
        Assert.Contains("check: 1 implementation(s) x 117 case(s): 77 scheduled shapes", run.Stdout, StringComparison.Ordinal); // --exec alone: only the program
        Assert.EndsWith("ok: seed001_staged.batchnorm_backward found correct (seed 42)\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_shows_a_program_beside_the_built_ins_named_by_impl()
    {
        var run = CliFixture.Run("check", "--seed", "42", "--cases", "20", "--no-schedule", "--exec", Seed002, "--impl", "seed002-alt");
        Assert.Equal(1, run.ExitCode);
        var builtIn = Cells(Row(run.Stdout, "seed002-alt"));
        var external = Cells(Row(run.Stdout, "seed002_alt.batchnorm_backward_alt"));
        Assert.Equal(["flawed", "flawed"], builtIn[1..3]);
        Assert.Equal("ok", builtIn[7]);
        Assert.Equal(builtIn[3..5], external[3..5]); // same failed count and worst dx
        Assert.EndsWith("FLAWED: seed002_alt.batchnorm_backward_alt (external program) found flawed (seed 42)\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Cases_writes_the_program_into_the_results_file_under_its_name()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--exec", Seed002, "--impl", "seed002-alt", "--json", output);
        Assert.True(run.ExitCode == 1, run.Stdout + run.Stderr);
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.False(json["ok"]!.GetValue<bool>());
        var impls = json["implementations"]!.AsArray();
        var builtIn = impls.Single(i => i!["id"]!.GetValue<string>() == "seed002-alt")!;
        var external = impls.Single(i => i!["id"]!.GetValue<string>() == "seed002_alt.batchnorm_backward_alt")!;
        Assert.Equal("unknown", external["expected"]!.GetValue<string>());
        Assert.Equal("flawed", external["verdict"]!.GetValue<string>());
        Assert.Equal(
            builtIn["results"]!.AsArray().Select(r => (r!["case"]!.GetValue<string>(), r["pass"]!.GetValue<bool>())),
            external["results"]!.AsArray().Select(r => (r!["case"]!.GetValue<string>(), r["pass"]!.GetValue<bool>())));
        Assert.Contains("FLAWED seed002_alt.batchnorm_backward_alt (external program): fails ", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_found_correct_on_the_golden_cases_exits_0()
    {
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--exec", Seed001);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.EndsWith("ok: seed001_staged.batchnorm_backward found correct\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NaN_gradient_is_a_flawed_verdict_exit_1_not_an_error()
    {
        var run = CliFixture.Run("check", "--seed", "1", "--cases", "5", "--no-schedule", "--exec", ExecCommand(Fake("nan")));
        Assert.True(run.ExitCode == 1, run.Stdout + run.Stderr);
        Assert.Empty(run.Stderr);
        Assert.Equal(["fake-nan", "unknown", "flawed", "5/5", "NaN"], Cells(Row(run.Stdout, "fake-nan"))[..5]);
    }

    [Fact]
    public void A_program_that_exits_mid_run_exits_2_with_one_line()
    {
        var run = CliFixture.Run("check", "--seed", "1", "--cases", "20", "--exec", ExecCommand(Fake("exit-mid-run")));
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("bnverify: error: external program fake-exit-mid-run exited with code 7 during request 3 (N = ", line, StringComparison.Ordinal);
        Assert.EndsWith("; its standard error ends: fake: something went wrong | fake: giving up on request 3", line, StringComparison.Ordinal);
        Assert.DoesNotContain("found", run.Stdout, StringComparison.Ordinal); // no verdict
    }

    [Fact]
    public void A_failing_program_leaves_no_results_file()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--exec", ExecCommand(Fake("exit-mid-run")), "--json", output);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("exited with code 7", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public void A_hanging_program_exits_2_naming_the_request_after_the_time_limit()
    {
        var watch = Stopwatch.StartNew();
        var run = CliFixture.Run("check", "--seed", "1", "--cases", "20", "--exec-timeout", "1", "--exec", ExecCommand(Fake("hang")));
        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"^bnverify: error: external program fake-hang did not answer request \d+ \(N = \d+, D = \d+\) within 1 s; it was stopped$", Assert.Single(run.ErrorLines));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("/no/such/program-bnverify", "bnverify: error: external program `/no/such/program-bnverify` cannot be started: ")]
    [InlineData("", "bnverify: error: --exec: the command is empty")]
    [InlineData("python3 'open", "bnverify: error: --exec: unterminated ' quote in: python3 'open")]
    public void A_command_that_cannot_run_exits_2_with_one_line(string command, string expected)
    {
        var run = CliFixture.Run("check", "--cases", "1", "--exec", command);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(expected, Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_may_not_take_a_built_in_implementations_name()
    {
        var run = CliFixture.Run("check", "--cases", "1", "--exec", ExecCommand(Fake("impostor")));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the program calls itself 'seed002-alt', the id of a built-in implementation", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5000")]
    public void An_exec_timeout_out_of_range_exits_2(string seconds)
    {
        var run = CliFixture.Run("check", "--cases", "1", "--exec-timeout", seconds, "--exec", ExecCommand(Fake("good")));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--exec-timeout", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_swallowed_by_a_guard_still_stops_the_command()
    {
        // A checker that turns exceptions into failing cases must not turn a failed program into a verdict.
        using var healthy = BnVerify.External.ExternalBackward.Start(Fake("good"), Short);
        using var failing = BnVerify.External.ExternalBackward.Start(Fake("exit-mid-run"), Short);
        var problem = BnVerify.Checking.ProblemGenerator.Generate(new Random(1), 3, 2);
        for (int k = 0; k < 4; k++)
        {
            healthy.Run(problem);
            try
            {
                failing.Run(problem);
            }
            catch (BnVerify.External.ExternalProgramException)
            {
                // swallowed, as a guard would
            }
        }
        BnVerify.Bench.Cli.ExternalPrograms.ThrowIfFailed([healthy]);
        var e = Assert.Throws<BnVerify.External.ExternalProgramException>(() => BnVerify.Bench.Cli.ExternalPrograms.ThrowIfFailed([healthy, failing]));
        Assert.StartsWith("external program fake-exit-mid-run exited with code 7 during request 3", e.Message, StringComparison.Ordinal);
    }

    // ----------------------------------------------------------------- the real process: signals end the program too

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_to_bnverify_ends_the_program_and_its_children(string signal)
    {
        string pidFile = TempFile(".pid");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BnVerify.Bench.dll"));
        foreach (var a in new[] { "check", "--cases", "5", "--exec-timeout", "600", "--exec", ExecCommand(Fake("tree", pidFile)) }) start.ArgumentList.Add(a);
        start.Environment["CI"] = "true";
        using var bnverify = Process.Start(start)!;
        var stdout = bnverify.StandardOutput.ReadToEndAsync();
        var stderr = bnverify.StandardError.ReadToEndAsync();
        int grandchild = 0, program = 0;
        try
        {
            grandchild = ReadPid(pidFile, 30);
            program = ParentOf(grandchild);
            Thread.Sleep(300); // let the first request reach the program, which then sleeps for good
            using (var kill = Process.Start("kill", [$"-{signal}", bnverify.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
                kill.WaitForExit();
            Assert.True(bnverify.WaitForExit(TimeSpan.FromSeconds(20)), "bnverify did not exit on the signal");
            string output = await stdout + await stderr;
            Assert.True(WaitGone(grandchild), $"the program's child outlived bnverify (SIG{signal}); {output}");
        }
        finally
        {
            // Whatever the outcome, leave nothing running.
            if (!bnverify.HasExited) bnverify.Kill(entireProcessTree: true);
            foreach (int pid in new[] { program, grandchild }.Where(p => p > 0 && IsAlive(p)))
            {
                try
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill();
                }
                catch (ArgumentException)
                {
                    // Gone meanwhile.
                }
            }
            File.Delete(pidFile);
        }
    }

    /// <summary>The parent pid of <paramref name="pid"/> (Linux /proc), or 0.</summary>
    private static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
