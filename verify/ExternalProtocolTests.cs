using System.Diagnostics;
using System.Text.Json;
using BnVerify.Checking;
using BnVerify.External;
using Xunit;
using static BnVerify.Verify.ExternalTestSupport;

namespace BnVerify.Verify;

/// <summary>
/// The bnverify-external/1 client (<see cref="ExternalBackward"/>) against programs that behave and programs that do not
/// (<c>verify/ExternalPrograms/fake_program.py MODE</c>): every way another process can fail is an
/// <see cref="ExternalProgramException"/> naming the program, the request and what happened, within the time limit,
/// with nothing left running; a NaN or infinite gradient is not such a failure but a wrong gradient, judged by the checker.
/// </summary>
public sealed class ExternalProtocolTests
{
    private static BatchNormProblem Problem(int n = 3, int d = 2, int seed = 1) =>
        ProblemGenerator.Generate(new Random(seed), n, d);

    /// <summary>Runs <paramref name="mode"/> until it fails; returns the failure's message.</summary>
    private static string RunFails(string mode, int requests = 1, ExternalOptions? options = null)
    {
        using var program = ExternalBackward.Start(Fake(mode), options ?? Short);
        for (int k = 1; k < requests; k++) program.Run(Problem(seed: k));
        return Assert.Throws<ExternalProgramException>(() => program.Run(Problem(seed: requests))).Message;
    }

    // ----------------------------------------------------------------- the protocol without a process

    [Fact]
    public void A_request_is_one_line_of_flat_row_major_arrays_that_round_trip_exactly()
    {
        var p = Problem(3, 2);
        byte[] line = ExternalProtocol.Request(17, p);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("backward", root.GetProperty("type").GetString());
        Assert.Equal(17, root.GetProperty("id").GetInt64());
        Assert.Equal("ND", root.GetProperty("layout").GetString());
        Assert.Equal([3, 2], root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(p.Eps, root.GetProperty("eps").GetDouble());
        Assert.Equal(p.X, root.GetProperty("x").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(p.Gamma, root.GetProperty("gamma").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(p.Beta, root.GetProperty("beta").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(p.Dout, root.GetProperty("dout").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Theory]
    [InlineData("python3 a.py --x 1", new[] { "python3", "a.py", "--x", "1" })]
    [InlineData("  python3   'my layers.py'  ", new[] { "python3", "my layers.py" })]
    [InlineData("run \"a \\\"b\\\" c\" d\\ e ''", new[] { "run", "a \"b\" c", "d e", "" })]
    public void A_command_is_split_into_words_like_a_shell_does(string command, string[] words) =>
        Assert.Equal(words, ExternalCommand.Split(command));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("python3 'unterminated")]
    [InlineData("python3 \"unterminated")]
    public void An_empty_command_or_an_open_quote_is_refused(string command) =>
        Assert.Throws<ArgumentException>(() => ExternalCommand.Split(command));

    // ----------------------------------------------------------------- a program that behaves

    [Fact]
    public void A_correct_program_is_checked_like_a_built_in_one()
    {
        using var program = ExternalBackward.Start(Fake("good"), Short);
        Assert.Equal("fake-good", program.Info.Id);
        Assert.Equal(typeof(double), program.ElementType);
        Assert.Equal(Math.Pow(2, -53), program.UnitRoundoff);
        Assert.Contains("fake_program.py good", program.Info.Source, StringComparison.Ordinal);
        for (int seed = 0; seed < 5; seed++)
        {
            var result = GradientChecker.Check(program, ProblemGenerator.Generate(new Random(seed)));
            Assert.True(result.Pass, result.Summary());
        }
        Assert.Equal(5, program.Requests);
        Assert.True(program.RequestTime > TimeSpan.Zero);
    }

    [Fact]
    public void Concurrent_callers_are_served_one_request_at_a_time()
    {
        using var program = ExternalBackward.Start(Fake("good"), Short);
        var results = new CheckResult[40];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            k => results[k] = GradientChecker.Check(program, ProblemGenerator.Generate(new Random(100 + k))));
        Assert.All(results, r => Assert.True(r.Pass, r.Summary()));
        Assert.Equal(40, program.Requests);
    }

    [Fact]
    public void The_span_interface_sends_the_same_request_as_Run()
    {
        using var program = ExternalBackward.Start(Fake("good"), Short);
        var typed = Assert.IsAssignableFrom<IBatchNormBackward<double>>(program);
        var p = Problem(5, 3);
        var (_, cache) = BatchNorm.Forward<double>(p);
        var dx = new double[15];
        var dgamma = new double[3];
        var dbeta = new double[3];
        typed.Backward(cache, p.Dout, dx, dgamma, dbeta);
        var run = program.Run(p);
        Assert.Equal(run.Dx, dx);
        Assert.Equal(run.Dgamma, dgamma);
        Assert.Equal(run.Dbeta, dbeta);
        PreparedBackward.For(program, p).Run(); // the benchmarks' path
        Assert.Equal(3, program.Requests);
        Assert.Throws<ArgumentException>(() => typed.Backward(cache, p.Dout, dx, new double[2], dbeta));
    }

    [Fact]
    public void A_float32_program_gets_float32_values_and_float32_allowances()
    {
        using var program = ExternalBackward.Start(Fake("float32"), Short);
        Assert.Equal(typeof(float), program.ElementType);
        Assert.Equal(Math.Pow(2, -24), program.UnitRoundoff);
        Assert.IsAssignableFrom<IBatchNormBackward<float>>(program);
        var p = ProblemGenerator.Generate(new Random(3), 6, 3);
        var seen = program.InItsPrecision(p);
        Assert.All(seen.X, v => Assert.Equal(v, (double)(float)v));
        Assert.All(seen.Dout, v => Assert.Equal(v, (double)(float)v));
        var result = GradientChecker.Check(program, p);
        Assert.True(result.Pass, result.Summary());
    }

    [Fact]
    public void Windows_line_ends_are_accepted()
    {
        using var program = ExternalBackward.Start(Fake("crlf"), Short);
        var result = GradientChecker.Check(program, Problem());
        Assert.True(result.Pass, result.Summary());
    }

    [Fact]
    public void Dispose_ends_a_program_that_ignores_bye_within_the_grace_period()
    {
        string pidFile = TempFile(".pid");
        var program = ExternalBackward.Start(Fake("ignore-bye", pidFile), Short);
        int pid = ReadPid(pidFile);
        program.Run(Problem());
        var watch = Stopwatch.StartNew();
        program.Dispose();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {watch.Elapsed}");
        Assert.True(WaitGone(pid), "the program is still running after Dispose");
        Assert.Throws<ObjectDisposedException>(() => program.Run(Problem()));
        File.Delete(pidFile);
    }

    [Fact]
    public void Dispose_lets_a_well_behaved_program_exit_by_itself()
    {
        string pidFile = TempFile(".pid");
        var program = ExternalBackward.Start(Fake("good", pidFile), Short);
        int pid = ReadPid(pidFile);
        program.Run(Problem());
        program.Dispose();
        Assert.True(WaitGone(pid));
        File.Delete(pidFile);
    }

    // ----------------------------------------------------------------- wrong gradients are verdicts, not errors

    [Fact]
    public void NaN_in_a_gradient_is_a_failing_check_not_a_protocol_error()
    {
        using var program = ExternalBackward.Start(Fake("nan"), Short);
        var result = GradientChecker.Check(program, Problem());
        Assert.False(result.Pass);
        Assert.All(result.Actual.Dx, v => Assert.True(double.IsNaN(v)));
        Assert.False(result.Of(GradientName.Dx)!.Pass);
        Assert.True(result.Of(GradientName.Dgamma)!.Pass);
        var diagnosis = BnVerify.Doctor.DerivationDoctor.Diagnose(program);
        Assert.True(diagnosis.Names(BnVerify.Doctor.FindingKind.NonFinite, GradientName.Dx), diagnosis.KindsText());
    }

    [Fact]
    public void Infinity_in_a_gradient_is_a_failing_check_not_a_protocol_error()
    {
        using var program = ExternalBackward.Start(Fake("infinity"), Short);
        var result = GradientChecker.Check(program, Problem());
        Assert.False(result.Pass);
        Assert.Equal(double.PositiveInfinity, result.Actual.Dgamma[0]);
        Assert.All(result.Actual.Dbeta, v => Assert.Equal(double.NegativeInfinity, v));
        Assert.True(result.Of(GradientName.Dx)!.Pass);
    }

    // ----------------------------------------------------------------- failures at the start

    [Fact]
    public void A_missing_command_cannot_be_started()
    {
        string message = StartFails(["/no/such/program-bnverify", "arg"]);
        Assert.StartsWith("external program `/no/such/program-bnverify arg` cannot be started:", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_dies_at_start_shows_its_exit_code_and_standard_error()
    {
        string message = StartFails(Fake("die-at-start"));
        Assert.Contains("exited with code 3 before its greeting", message, StringComparison.Ordinal);
        Assert.Contains("its standard error ends: fake: cannot load my weights", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_never_greets_is_stopped_after_the_startup_limit()
    {
        string pidFile = TempFile(".pid");
        var watch = Stopwatch.StartNew();
        string message = StartFails(Fake("hang-at-start", pidFile), Short with { StartupTimeout = TimeSpan.FromSeconds(1.5) });
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.4, 10);
        Assert.Contains("did not greet within 1.5 s; it was stopped", message, StringComparison.Ordinal);
        Assert.True(WaitGone(ReadPid(pidFile)));
        File.Delete(pidFile);
    }

    [Theory]
    [InlineData("bad-greeting", "it speaks bnverify-external/2; this bnverify speaks bnverify-external/1")]
    [InlineData("float16", "its dtype \"float16\" is neither \"float64\" nor \"float32\"")]
    [InlineData("no-nd", "do not include \"ND\"")]
    [InlineData("greeting-not-json", "instead of its greeting it wrote a line that is not JSON: \"Hello! I am a backward.\"")]
    public void A_bad_greeting_is_a_protocol_error(string mode, string expected)
    {
        string message = StartFails(Fake(mode));
        Assert.Contains("broke the protocol at its greeting", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    // ----------------------------------------------------------------- failures during a run

    [Fact]
    public void A_program_that_exits_mid_run_shows_the_request_its_exit_code_and_standard_error()
    {
        using var program = ExternalBackward.Start(Fake("exit-mid-run"), Short);
        program.Run(Problem(seed: 1));
        program.Run(Problem(seed: 2));
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(Problem(4, 3, seed: 3)));
        Assert.Equal("external program fake-exit-mid-run exited with code 7 during request 3 (N = 4, D = 3); " +
                     "its standard error ends: fake: something went wrong | fake: giving up on request 3", e.Message);
        // Every later call reports the same failure instead of talking to a dead process, and the program keeps it.
        Assert.Equal(e.Message, Assert.Throws<ExternalProgramException>(() => program.Run(Problem())).Message);
        Assert.Same(e, program.Failure);
    }

    [Theory]
    [InlineData("garbage", "broke the protocol at request 1 (N = 3, D = 2): instead of an answer it wrote a line that is not JSON: \"this is not JSON\"")]
    [InlineData("bare-nan", "not JSON (NaN and infinity must be written as the strings \"NaN\", \"Infinity\", \"-Infinity\")")]
    [InlineData("array", "instead of an answer it wrote an array, not a JSON object: \"[1, 2, 3]\"")]
    [InlineData("wrong-id", "broke the protocol at request 1 (N = 3, D = 2): it answered id 2 to request 1")]
    [InlineData("no-id", "the answer has no \"id\" (expected 1)")]
    [InlineData("wrong-shape", "\"dx\" has 5 values; N×D = 3×2 needs 6 (flat, row-major)")]
    [InlineData("nested", "\"dx\" has 3 values; N×D = 3×2 needs 6 (flat, row-major)")]
    [InlineData("missing-dgamma", "the answer has no \"dgamma\"")]
    [InlineData("strings", "dx[0][0] is a string \"")]
    [InlineData("null", "dx[0][0] is null; a number (or \"NaN\", \"Infinity\", \"-Infinity\") expected")]
    [InlineData("huge", "dx[0][0] is the number 1e999, which float64 cannot hold")]
    [InlineData("error", "external program fake-error could not compute request 1 (N = 3, D = 2); it reported: ZeroDivisionError: float division by zero")]
    public void A_broken_answer_is_a_protocol_error_naming_the_request(string mode, string expected)
    {
        string message = RunFails(mode);
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.StartsWith($"external program fake-{mode} ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_a_program_wrote_to_standard_error_before_an_error_answer_is_always_in_the_message()
    {
        // Standard error and the answer travel on two pipes, read by two threads: the answer may come in first. The
        // tail is read only after the program is stopped and its standard error drained, so it is never cut short
        // (the Python adapter's traceback once was, on a loaded CI machine). Twenty runs, as one is a race.
        for (int run = 0; run < 20; run++)
        {
            string message = RunFails("explained-error");
            Assert.EndsWith("it reported: it could not; its standard error ends: " +
                            string.Join(" | ", Enumerable.Range(1, 6).Select(k => $"fake: reason {k} for request 1")), message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_extra_line_after_an_answer_breaks_the_protocol_at_the_latest_on_the_next_request()
    {
        using var program = ExternalBackward.Start(Fake("two-lines"), Short);
        var e = Assert.Throws<ExternalProgramException>(() =>
        {
            for (int k = 0; k < 3; k++) program.Run(Problem(seed: k));
        });
        Assert.Contains("broke the protocol at request", e.Message, StringComparison.Ordinal);
        Assert.Contains("an extra line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_stops_answering_is_stopped_after_the_request_limit()
    {
        string pidFile = TempFile(".pid");
        using var program = ExternalBackward.Start(Fake("hang", pidFile), Short);
        int pid = ReadPid(pidFile);
        program.Run(Problem(seed: 1));
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(Problem(5, 4, seed: 2)));
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.9, 10);
        Assert.Equal("external program fake-hang did not answer request 2 (N = 5, D = 4) within 2 s; it was stopped", e.Message);
        Assert.True(WaitGone(pid), "the hung program is still running");
        File.Delete(pidFile);
    }

    [Fact]
    public void A_program_that_never_reads_its_input_cannot_block_a_large_request()
    {
        // 4096×64 float64 values, several megabytes: far more than a pipe holds, so the write itself blocks.
        using var program = ExternalBackward.Start(Fake("no-read"), Short);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(ProblemGenerator.Generate(new Random(5), 4096, 64)));
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.9, 10);
        Assert.Contains("did not answer request 1 (N = 4096, D = 64) within 2 s; it was stopped", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_longer_than_the_limit_stops_the_program()
    {
        string message = RunFails("long-line", options: Short with { MaxLineBytes = 4096 });
        Assert.Contains("wrote a line longer than 4096 bytes during request 1 (N = 3, D = 2); it was stopped", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timeout_kills_the_whole_process_tree()
    {
        string pidFile = TempFile(".pid");
        using var program = ExternalBackward.Start(Fake("tree", pidFile), Short);
        int grandchild = ReadPid(pidFile);
        Assert.True(IsAlive(grandchild));
        Assert.Throws<ExternalProgramException>(() => program.Run(Problem()));
        Assert.True(WaitGone(grandchild), "the program's own child survived the timeout");
        File.Delete(pidFile);
    }

    [Fact]
    public void The_exception_is_found_inside_the_AggregateException_of_a_parallel_loop()
    {
        using var program = ExternalBackward.Start(Fake("exit-mid-run"), Short);
        var e = Assert.Throws<AggregateException>(() =>
            Parallel.For(0, 20, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k => program.Run(Problem(seed: k))));
        var found = ExternalProgramException.Find(e);
        Assert.NotNull(found);
        Assert.Contains("exited with code 7", found.Message, StringComparison.Ordinal);
        Assert.Null(ExternalProgramException.Find(new AggregateException(new InvalidOperationException("x"))));
    }
}
