using BnVerify.Bench;
using BnVerify.Checking;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The gradient checker's own behaviour, on small problems: which oracles a check uses, which element a verdict reports
/// (the worst: NaN first, then the largest error, ties by the ratio to the bound), what a result says (pass, failing
/// gradients, the one-line summary), how a backward that throws, hangs or answers in the wrong shape is reported, and the
/// guarded call under it. Written for the survivors of the <c>oracles-and-shrinker</c> mutation scope.
/// </summary>
public sealed class GradientCheckerTests
{
    private static readonly BatchNormProblem P = new(3, 2, [1.5, -20, -0.25, 35, 2.0, 4], [-3, 0.5], [2, 0.25], 1e-3, [0.7, -1.1, 0.2, 0.4, -0.9, 1.3]);

    private static IBatchNormBackward Correct => BuiltIn.Implementations.Get("alt-simplified");

    // ---- which oracles ----

    private static string[] NamesFor(CheckOptions options, BatchNormProblem p) => options.OraclesFor(p).Select(o => o.Name).ToArray();

    private static BatchNormProblem Rows(int n, int d) => new(n, d, Enumerable.Range(0, n * d).Select(k => (double)(k % 7)).ToArray(),
        Enumerable.Repeat(1.0, d).ToArray(), new double[d], 1e-3, Enumerable.Range(0, n * d).Select(k => (double)(k % 5) - 2).ToArray());

    [Fact]
    public void Finite_differences_are_used_up_to_N_squared_D_of_a_million_unless_the_options_say_otherwise()
    {
        var options = CheckOptions.Default;
        Assert.Equal(["finite differences", "directional derivatives"], NamesFor(options, Rows(1000, 1))); // N²·D = 10⁶ exactly
        Assert.Equal(["closed form", "directional derivatives"], NamesFor(options, Rows(1000, 2)));
        Assert.Equal(["closed form", "directional derivatives"], NamesFor(options with { FiniteDifferences = false }, Rows(2, 1)));
        Assert.Equal(["finite differences", "directional derivatives"], NamesFor(options with { FiniteDifferences = true }, Rows(1000, 2)));
        Assert.Equal(["finite differences"], NamesFor(options with { ProbesPerGradient = 0 }, Rows(2, 1)));
        Assert.Throws<ArgumentNullException>(() => options.OraclesFor(null!));
    }

    [Fact]
    public void A_result_names_the_element_wise_oracles_that_judged_it_or_the_directional_derivatives_alone()
    {
        var fd = GradientChecker.CheckAll([Correct], P, oracles: [Oracles.FiniteDifferences, Oracles.ClosedFormValues, Oracles.DirectionalDerivatives()])[0];
        Assert.Equal("finite differences + closed form", fd.Oracle);
        Assert.Equal(6, fd.Gradients.Count);
        var stored = GradientChecker.CheckAll([Correct], P, oracles: [Oracles.Stored("golden: test", ClosedForm.Gradients(P))])[0];
        Assert.Equal("golden: test", stored.Oracle);
        Assert.True(stored.Pass, stored.Summary());
        var probes = GradientChecker.CheckAll([Correct], P, oracles: [Oracles.DirectionalDerivatives()])[0];
        Assert.Equal("directional derivatives", probes.Oracle);
        var none = GradientChecker.CheckAll([Correct], P, oracles: [])[0];
        Assert.Equal("", none.Oracle);
        Assert.Empty(none.Gradients);
        Assert.Empty(none.Probes);
    }

    // ---- what a result says ----

    [Fact]
    public void A_gradient_compared_only_by_probes_has_no_element_verdict_and_a_NaN_largest_error()
    {
        var flawed = BuiltIn.Implementations.Get("mutant-dbeta-scaled");
        var probed = GradientChecker.CheckAll([flawed], P, oracles: [Oracles.DirectionalDerivatives()])[0];
        Assert.All(Gradients.All, g => Assert.Null(probed.Of(g)));
        Assert.All(Gradients.All, g => Assert.True(double.IsNaN(probed.MaxError(g))));
        Assert.Equal([GradientName.Dbeta], probed.Failing);
        Assert.False(probed.Pass);

        var compared = GradientChecker.Check(flawed, P);
        Assert.All(Gradients.All, g => Assert.Equal(g, compared.Of(g)!.Gradient));
        Assert.Equal([GradientName.Dbeta], compared.Failing); // failing element-wise and by probes: named once
        Assert.False(compared.Pass);
        Assert.True(compared.MaxError(GradientName.Dbeta) > 1e-3);
        Assert.True(compared.Of(GradientName.Dx)!.Pass && compared.Of(GradientName.Dgamma)!.Pass);
    }

    private static ElementReport Element(GradientName g) => new(g, 0, 0, 1, 1, 0, 1);

    private static CheckResult Result(bool[] gradients, bool[] probes, string? error = null) => new("made-up", P, ClosedForm.Gradients(P), "made up",
        gradients.Select((pass, k) => new GradientVerdict(Gradients.All[k], pass, 0, Element(Gradients.All[k]))).ToList(),
        probes.Select((pass, k) => new ProbeVerdict(Gradients.All[k], pass, 1, 1, 1)).ToList(), error);

    [Fact]
    public void A_result_passes_only_with_no_error_every_gradient_passing_and_every_probe_passing()
    {
        Assert.True(Result([true, true, true], [true, true, true]).Pass);
        Assert.Equal("pass", Result([true, true, true], [true, true, true]).Summary());
        Assert.False(Result([true, true, true], [true, true, true], "made-up threw").Pass);
        Assert.Equal("made-up threw", Result([true, true, true], [true, true, true], "made-up threw").Summary());
        Assert.False(Result([true, false, true], [true, true, true]).Pass);
        Assert.False(Result([true, true, true], [true, true, false]).Pass);
        Assert.Equal([GradientName.Dgamma, GradientName.Dbeta], Result([true, false, true], [true, true, false]).Failing);
    }

    [Fact]
    public void A_probe_reports_the_absolute_difference_of_its_two_sides()
    {
        Assert.Equal(2, new ProbeVerdict(GradientName.Dx, false, 3, 5, 1).Difference);
        Assert.Equal(3, new ProbeVerdict(GradientName.Dx, false, -1, 2, 1).Difference);
    }

    [Fact]
    public void An_element_is_named_dx_by_row_and_column_or_by_its_index_in_the_problems_layout_and_dgamma_dbeta_by_column()
    {
        Assert.Equal("dx[2][0]", new ElementReport(GradientName.Dx, 2, 0, 0, 0, 0, 0).Where);
        Assert.Equal("dx[1][0][2][3]", new ElementReport(GradientName.Dx, 11, 0, 0, 0, 0, 0, "[1][0][2][3]").Where);
        Assert.Equal("dgamma[1]", new ElementReport(GradientName.Dgamma, 0, 1, 0, 0, 0, 0).Where);
        Assert.Equal("dbeta[0]", new ElementReport(GradientName.Dbeta, 0, 0, 0, 0, 0, 0).Where);
    }

    [Fact]
    public void The_summary_says_which_gradient_fails_where_by_how_much_in_which_unit_and_which_probes_fail()
    {
        var zeros = new DelegateBackward<double>("zeros", (_, _, dx, dgamma, dbeta) =>
        {
            dx.Clear();
            dgamma.Clear();
            dbeta.Clear();
        });
        var result = GradientChecker.Check(zeros, P);
        var lines = result.Summary().Split("; ");
        var elements = lines.Where(l => l.Contains("(finite differences)", StringComparison.Ordinal)).ToArray();
        var probes = lines.Where(l => l.Contains("(directional derivative)", StringComparison.Ordinal)).ToArray();
        Assert.Equal(lines.Length, elements.Length + probes.Length);
        Assert.Equal(3, elements.Length);
        Assert.Matches(@"^dx fails \(finite differences\): worst dx\[\d\]\[\d\] expected \S+, actual 0, error \S+ exceeds bound \S+ \(in units of \|gamma\|·invStd·max\|dout\| per column\)$", elements[0]);
        Assert.Matches(@"^dgamma fails \(finite differences\): worst dgamma\[\d\] expected .* \(in units of Σ\|dout\|·\(1\+\|xhat\|\) per column\)$", elements[1]);
        Assert.Matches(@"^dbeta fails \(finite differences\): worst dbeta\[\d\] expected .* \(in units of Σ\|dout\| per column\)$", elements[2]);
        Assert.All(probes, l => Assert.Matches(@"^d(x|gamma|beta) fails \(directional derivative\): <v, backward> = 0 but <dout, J·v> = \S+, difference \S+ exceeds bound \S+$", l));
        Assert.All(Gradients.All, g => Assert.Contains(probes, l => l.StartsWith($"{Gradients.NameOf(g)} fails", StringComparison.Ordinal)));

        var silent = new DelegateBackward<double>("silent", (_, _, _, _, _) => { });
        var unwritten = GradientChecker.Check(silent, P).Summary();
        Assert.StartsWith($"dx fails (finite differences): dx[0][0] was never written (expected {ClosedForm.Gradients(P).Dx[0]:G6}); ", unwritten, StringComparison.Ordinal);
    }

    // ---- the element reported ----

    /// <summary>2×2 with column 0's dx unit 1/sqrt(1 + eps) and column 1's 0 (gamma 0); Σxhat is exactly 0, so with u = 0 each bound is the reference's own.</summary>
    private static readonly BatchNormProblem Two = new(2, 2, [-1, -1, 1, 1], [1, 0], [0, 0], 1e-3, [1, 1, 1, 1]);

    private static GradientVerdict DxVerdict(double[] actualDx, double[] dxBound)
    {
        var zero = new Gradients(2, 2, new double[4], new double[2], new double[2]);
        var reference = new Reference("made up", zero, dxBound, [1, 1], [1, 1]);
        var verdicts = GradientChecker.CompareElements(zero with { Dx = actualDx }, reference, ErrorModel.For(Two), 0);
        Assert.True(verdicts[1].Pass && verdicts[2].Pass);
        return verdicts[0];
    }

    [Fact]
    public void When_every_element_passes_the_one_closest_to_its_bound_is_reported()
    {
        var v = DxVerdict([0.1, 0, 0.5, 0], [1, 1, 1, 1]);
        Assert.True(v.Pass);
        Assert.Equal((1, 0, 0.5), (v.Worst.Row, v.Worst.Col, v.Worst.Actual));
    }

    [Fact]
    public void When_every_element_passes_the_nearest_to_its_bound_is_reported_not_the_largest_error_and_ties_keep_the_first()
    {
        // Column 0 (unit ≈ 1): 0.3 of a bound of 1 against 0.2 of a bound of 0.25. The second is nearer its bound though
        // its error (and its error times its bound) is smaller.
        var nearer = DxVerdict([0.3, 0, 0.2, 0], [1, 1, 0.25, 1]);
        Assert.True(nearer.Pass);
        Assert.Equal((1, 0), (nearer.Worst.Row, nearer.Worst.Col));
        // A bound of 0 met exactly (0 of 0) is at 0 of its bound, not at it: 0.5 of a bound of 1 is reported.
        var exact = DxVerdict([0, 0, 0.5, 0], [0, 1, 1, 1]);
        Assert.Equal((1, 0), (exact.Worst.Row, exact.Worst.Col));
        // All at 0 of their bounds, one of them 0 of 0: the first element stays.
        var ties = DxVerdict([0, 0, 0, 0], [0, 1, 1, 1]);
        Assert.Equal((0, 0), (ties.Worst.Row, ties.Worst.Col));
    }

    [Fact]
    public void Failing_elements_are_ranked_by_their_error_in_natural_units_then_by_their_error_over_their_bound()
    {
        // Column 0 (unit ≈ 1): 3 over a bound of 1 (3 units, 3 bounds) against 2 over a bound of 0.1 (2 units, 20 bounds).
        var larger = DxVerdict([3, 0, 2, 0], [1, 1, 0.1, 1]);
        Assert.False(larger.Pass);
        Assert.Equal((0, 0), (larger.Worst.Row, larger.Worst.Col));
        // Equal errors (2 units each): the one more bounds past its bound, 4 against 2.
        var equal = DxVerdict([2, 0, 2, 0], [1, 0, 0.5, 0]);
        Assert.False(equal.Pass);
        Assert.Equal((1, 0), (equal.Worst.Row, equal.Worst.Col));
    }

    [Fact]
    public void A_NaN_is_reported_before_any_finite_error_even_an_infinite_one_in_units()
    {
        // Column 0: 5 against 0 (a finite error) and a NaN; column 1 (unit 0): 1 against 0 (+∞ in units) and a NaN.
        var finite = DxVerdict([5, 0, double.NaN, 0], [0, 0, 0, 0]);
        Assert.Equal((1, 0), (finite.Worst.Row, finite.Worst.Col));
        Assert.True(double.IsNaN(finite.MaxError), $"largest error {finite.MaxError}"); // the NaN, though elements after it are finite
        var infinite = DxVerdict([0, 1, 0, double.NaN], [0, 0, 0, 0]);
        Assert.Equal((1, 1), (infinite.Worst.Row, infinite.Worst.Col));
        Assert.True(double.IsNaN(infinite.Worst.Actual));
    }

    [Fact]
    public void The_bound_reported_is_the_references_own_plus_the_implementations_allowance_in_units()
    {
        double u = 1.0 / (1 << 24); // a float32 implementation
        var model = ErrorModel.For(Two);
        var zero = new Gradients(2, 2, new double[4], new double[2], new double[2]);
        var reference = new Reference("made up", zero, [0.5, 0.5, 0.5, 0.5], [1, 1], [1, 1]);
        var v = GradientChecker.CompareElements(zero with { Dx = [0.25, 0, 0, 0] }, reference, model, u)[0];
        Assert.Equal((0, 0), (v.Worst.Row, v.Worst.Col));
        Assert.Equal(model.InUnits(GradientName.Dx, 0, 0.5 + model.Allowance(GradientName.Dx, 0, u)), v.Worst.Bound);
        Assert.True(v.Worst.Bound > model.InUnits(GradientName.Dx, 0, 0.5)); // the allowance adds to the reference's bound
    }

    [Fact]
    public void Only_dx_of_a_spatial_problem_carries_an_index_in_the_problems_layout()
    {
        var spatial = BatchNormProblem.Spatial(new SpatialShape(1, 2, 1, 2), Layout.NCHW, [1, -1, 2, 3], [1, 1], [0, 0], 1e-3, [1, 0.5, -1, 2]);
        var zeros = new Gradients(2, 2, new double[4], new double[2], new double[2]);
        var onSpatial = GradientChecker.CompareElements(zeros, Reference.Stored("closed form", ClosedForm.Gradients(spatial), ErrorModel.For(spatial)), ErrorModel.For(spatial), 0);
        Assert.Matches(@"^\[0\]\[\d\]\[0\]\[\d\]$", onSpatial[0].Worst.Index);
        Assert.StartsWith("dx[0][", onSpatial[0].Worst.Where, StringComparison.Ordinal);
        Assert.Null(onSpatial[1].Worst.Index);
        Assert.Null(onSpatial[2].Worst.Index);
        var flat = GradientChecker.CompareElements(zeros, Reference.Stored("closed form", ClosedForm.Gradients(Two), ErrorModel.For(Two)), ErrorModel.For(Two), 0);
        Assert.All(flat, v => Assert.Null(v.Worst.Index));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_largest_error_is_NaN_when_any_element_is_NaN_wherever_it_is(int at)
    {
        // Up to the mutation run, a finite error after the NaN replaced it (the largest error of [NaN, 0.25] was 0.25).
        double[] dx = [0.5, 0, 0.25, 0];
        dx[at] = double.NaN;
        var v = DxVerdict(dx, [1, 1, 1, 1]);
        Assert.False(v.Pass);
        Assert.True(double.IsNaN(v.MaxError), $"largest error {v.MaxError}");
    }

    // ---- a backward that throws, hangs or answers in the wrong shape ----

    private sealed class Answers(Func<BatchNormProblem, Gradients?> run) : IBatchNormBackward
    {
        public BackwardInfo Info { get; } = BackwardInfo.Correct("answers", "a test", Family.External);

        public Type ElementType => typeof(double);

        public double UnitRoundoff => ErrorModel.Float64Roundoff;

        public BatchNormProblem InItsPrecision(BatchNormProblem problem) => problem;

        public Gradients Run(BatchNormProblem problem) => run(problem)!;
    }

    private sealed class HarnessFailed() : NotAVerdictException("the program died");

    private static void AllNaN(Gradients g, BatchNormProblem p)
    {
        Assert.Equal((p.N, p.D, p.N * p.D, p.D, p.D), (g.N, g.D, g.Dx.Length, g.Dgamma.Length, g.Dbeta.Length));
        Assert.All(g.Dx.Concat(g.Dgamma).Concat(g.Dbeta), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void A_backward_that_answers_is_neither_an_error_nor_a_hang()
    {
        var (actual, error, hung) = GradientChecker.GuardedRun(Correct, P, TimeSpan.FromSeconds(30));
        Assert.Null(error);
        Assert.False(hung);
        Assert.Equal(Correct.Run(P).Dx, actual.Dx);
    }

    [Fact]
    public void A_backward_that_throws_is_reported_in_one_line_with_NaN_gradients()
    {
        var throws = new Answers(_ => throw new InvalidOperationException("first line\r\n  second line \n\nthird"));
        var (actual, error, hung) = GradientChecker.GuardedRun(throws, P, TimeSpan.FromSeconds(30));
        Assert.Equal("answers threw InvalidOperationException: first line second line third", error);
        Assert.False(hung);
        AllNaN(actual, P);
        var result = GradientChecker.Check(throws, P);
        Assert.False(result.Pass);
        Assert.Equal(error, result.Summary());
    }

    [Fact]
    public void A_harness_failure_is_thrown_on_not_turned_into_a_verdict()
    {
        var dies = new Answers(_ => throw new HarnessFailed());
        var e = Assert.Throws<HarnessFailed>(() => GradientChecker.GuardedRun(dies, P, TimeSpan.FromSeconds(30)));
        Assert.Equal("the program died", e.Message);
    }

    [Theory]
    [InlineData("no answer")]
    [InlineData("dgamma too long")]
    [InlineData("dx too short")]
    [InlineData("other N")]
    public void A_backward_that_answers_in_the_wrong_shape_is_reported_with_NaN_gradients(string how)
    {
        var wrong = new Answers(p => how switch
        {
            "no answer" => null,
            "dgamma too long" => new Gradients(p.N, p.D, new double[p.N * p.D], new double[p.D + 1], new double[p.D]),
            "dx too short" => new Gradients(p.N, p.D, new double[p.N * p.D - 1], new double[p.D], new double[p.D]),
            _ => new Gradients(p.N + 1, p.D, new double[(p.N + 1) * p.D], new double[p.D], new double[p.D]),
        });
        var (actual, error, hung) = GradientChecker.GuardedRun(wrong, P, TimeSpan.FromSeconds(30));
        Assert.Equal("answers returned gradients of the wrong shape for a 3x2 problem", error);
        Assert.False(hung);
        AllNaN(actual, P);
    }

    [Fact]
    public void A_backward_that_hangs_is_reported_within_the_time_limit()
    {
        using var gate = new ManualResetEventSlim();
        try
        {
            var waits = new Answers(p => { gate.Wait(); return Correct.Run(p); });
            var (actual, error, hung) = GradientChecker.GuardedRun(waits, P, TimeSpan.FromMilliseconds(50));
            Assert.True(hung);
            Assert.Equal("answers did not return within 0.05 s on a 3x2 problem (hung, or far too slow)", error);
            AllNaN(actual, P);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public void Gaussian_draws_have_mean_0_variance_1_and_either_sign_half_the_time()
    {
        // The directional oracle's probe directions and the tests' random problems are these draws. 20,000 of them from a
        // fixed seed; each statistic is checked to 5 of its standard errors (mean 1/√n = 0.0071, variance √(2/n) = 0.010,
        // share of negatives 0.5/√n = 0.0035), which a draw with the wrong angle (all of one sign) or radius misses by far.
        var random = new Random(20261203);
        var z = Enumerable.Range(0, 20_000).Select(_ => GradientChecker.Gaussian(random)).ToArray();
        double mean = z.Average();
        double variance = z.Average(v => (v - mean) * (v - mean));
        double negative = z.Count(v => v < 0) / (double)z.Length;
        Assert.True(Math.Abs(mean) <= 5 * 0.0071, $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) <= 5 * 0.010, $"variance {variance}");
        Assert.True(Math.Abs(negative - 0.5) <= 5 * 0.0035, $"share of negative draws {negative}");
        Assert.All(z, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Null_arguments_are_refused_by_name()
    {
        var oracles = new[] { Oracles.ClosedFormValues.Prepare(P, ErrorModel.For(P)) };
        var expected = ClosedForm.Gradients(P);
        Assert.Throws<ArgumentNullException>(() => GradientChecker.Check(null!, P));
        Assert.Throws<ArgumentNullException>(() => GradientChecker.CheckAll(null!, P));
        Assert.Throws<ArgumentNullException>(() => GradientChecker.CheckAll([], null!));
        Assert.Equal("impl", Assert.Throws<ArgumentNullException>(() => GradientChecker.CheckAgainst(null!, P, expected, "stored")).ParamName);
        Assert.Equal("problem", Assert.Throws<ArgumentNullException>(() => GradientChecker.CheckAgainst(Correct, null!, expected, "stored")).ParamName);
        Assert.Equal("expected", Assert.Throws<ArgumentNullException>(() => GradientChecker.CheckAgainst(Correct, P, null!, "stored")).ParamName);
        Assert.Equal("impl", Assert.Throws<ArgumentNullException>(() => GradientChecker.Judge(null!, P, oracles)).ParamName);
        Assert.Equal("seen", Assert.Throws<ArgumentNullException>(() => GradientChecker.Judge(Correct, null!, oracles)).ParamName);
        Assert.Equal("oracles", Assert.Throws<ArgumentNullException>(() => GradientChecker.Judge(Correct, P, null!)).ParamName);
        Assert.Throws<ArgumentNullException>(() => GradientChecker.GuardedRun(null!, P, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentNullException>(() => GradientChecker.GuardedRun(Correct, null!, TimeSpan.FromSeconds(1)));
        // Without these two guards CompareElements fails later with a NullReferenceException that names nothing
        // (survivors of the oracles-and-shrinker scope's run of 2026-12-03, evening).
        var reference = Reference.Stored("closed form", expected, ErrorModel.For(P));
        Assert.Equal("reference", Assert.Throws<ArgumentNullException>(() => GradientChecker.CompareElements(expected, null!, ErrorModel.For(P), 0)).ParamName);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => GradientChecker.CompareElements(expected, reference, null!, 0)).ParamName);
    }

    // ---- the guarded call ----

    [Fact]
    public void A_new_calling_thread_gets_a_new_named_background_worker()
    {
        // From a thread of its own, so the worker is created here and not reused from an earlier test on this test thread
        // (a reused worker hid a worker that was not a background thread from the mutation run of 2026-12-03).
        (int Caller, int Worker, bool Background, string? Name) seen = default;
        var thread = new Thread(() =>
        {
            var outcome = GuardedCall.Run(() => (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsBackground, Thread.CurrentThread.Name),
                TimeSpan.FromSeconds(30));
            seen = (Environment.CurrentManagedThreadId, outcome.Result.Item1, outcome.Result.Item2, outcome.Result.Item3);
        });
        thread.Start();
        thread.Join();
        Assert.NotEqual(seen.Caller, seen.Worker);
        Assert.True(seen.Background, "a hung call must not keep the process alive");
        Assert.Equal("bnverify guarded call", seen.Name);
    }

    [Fact]
    public void A_guarded_call_runs_on_one_background_worker_per_calling_thread_and_a_new_one_after_a_hang()
    {
        int caller = Environment.CurrentManagedThreadId;
        var first = GuardedCall.Run(() => (Thread.CurrentThread.ManagedThreadId, Thread.CurrentThread.IsBackground), TimeSpan.FromSeconds(30));
        var second = GuardedCall.Run(() => Environment.CurrentManagedThreadId, TimeSpan.FromSeconds(30));
        Assert.False(first.Hung || second.Hung);
        Assert.NotEqual(caller, first.Result.ManagedThreadId);
        Assert.True(first.Result.IsBackground); // a hung call cannot keep the process alive
        Assert.Equal(first.Result.ManagedThreadId, second.Result); // reused, not a thread per call

        using var gate = new ManualResetEventSlim();
        try
        {
            var hung = GuardedCall.Run(() => { gate.Wait(); return 0; }, TimeSpan.FromMilliseconds(50));
            Assert.True(hung.Hung);
            var after = GuardedCall.Run(() => Environment.CurrentManagedThreadId, TimeSpan.FromSeconds(30));
            Assert.False(after.Hung);
            Assert.NotEqual(first.Result.ManagedThreadId, after.Result); // the hung worker is abandoned
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public void A_guarded_call_returns_what_the_call_threw_and_refuses_a_null_call()
    {
        var thrown = new InvalidOperationException("no");
        var outcome = GuardedCall.Run<int>(() => throw thrown, TimeSpan.FromSeconds(30));
        Assert.Same(thrown, outcome.Thrown);
        Assert.False(outcome.Hung);
        Assert.Throws<ArgumentNullException>(() => GuardedCall.Run<int>(null!, TimeSpan.FromSeconds(1)));
    }
}
