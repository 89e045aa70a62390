namespace BnVerify.Checking;

/// <summary>How a check is run.</summary>
/// <param name="FiniteDifferences">Compare every element with oracle 1 (true) or with the closed form (false); null chooses oracle 1 when N²·D is at most <see cref="FiniteDifferenceBudget"/>.</param>
/// <param name="ProbesPerGradient">Oracle-2 probes per gradient (dx, dgamma, dbeta); 0 turns oracle 2 off.</param>
/// <param name="ProbeSeed">Seed of the probe directions, so a check is repeatable.</param>
public sealed record CheckOptions(bool? FiniteDifferences = null, int ProbesPerGradient = 2, int ProbeSeed = 12345)
{
    /// <summary>Largest N²·D for which oracle 1 is used by default (a few milliseconds of work).</summary>
    public const long FiniteDifferenceBudget = 1_000_000;

    /// <summary>The defaults.</summary>
    public static CheckOptions Default { get; } = new();

    /// <summary>
    /// Every rounding allowance (<see cref="ErrorModel.Allowance"/>) multiplied by this: 1, the documented checker, unless a
    /// test builds a deliberately looser one to show that the allowance is what catches small flaws
    /// (<see cref="ErrorModel.For(BatchNormProblem, double)"/>). A finite number &gt; 0.
    /// </summary>
    public double AllowanceScale { get; init; } = 1;

    /// <summary>
    /// How long one call of an implementation may take before it is reported as a hang (default 60 s, generous: the
    /// slowest seed transcription takes well under a second at the largest shape the checker draws).
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The oracles used on <paramref name="problem"/>: element by element, finite differences where affordable and the
    /// checker's closed form (O(N·D)) where they are not; then the directional derivatives, independent of any formula.
    /// </summary>
    public IReadOnlyList<IOracle> OraclesFor(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        bool useFd = FiniteDifferences ?? (long)problem.N * problem.N * problem.D <= FiniteDifferenceBudget;
        var oracles = new List<IOracle> { useFd ? Oracles.FiniteDifferences : Oracles.ClosedFormValues };
        if (ProbesPerGradient > 0) oracles.Add(Oracles.DirectionalDerivatives(ProbesPerGradient, ProbeSeed));
        return oracles;
    }
}

/// <summary>One element of a gradient as compared: where it is, expected and actual values, error and bound in natural units.</summary>
/// <param name="Gradient">dx, dgamma or dbeta.</param>
/// <param name="Row">Row of the canonical view (dx only).</param>
/// <param name="Col">Column (channel).</param>
/// <param name="Expected">The reference value.</param>
/// <param name="Actual">The implementation's value.</param>
/// <param name="Error">|actual − expected| in the natural unit.</param>
/// <param name="Bound">The bound it is held to, in the natural unit.</param>
/// <param name="Index">For dx of a spatial problem, the element's index in the problem's own layout ("[n][c][h][w]" for NCHW); null for 2-D.</param>
public sealed record ElementReport(GradientName Gradient, int Row, int Col, double Expected, double Actual, double Error, double Bound, string? Index = null)
{
    /// <summary>"dx[2][0]", "dx[1][0][2][3]" (a spatial NCHW problem) or "dgamma[1]".</summary>
    public string Where => Gradient == GradientName.Dx ? $"dx{Index ?? $"[{Row}][{Col}]"}" : $"{Gradients.NameOf(Gradient)}[{Col}]";
}

/// <summary>The verdict on one gradient: pass or fail, the largest error in natural units, and the worst element (largest error relative to its bound).</summary>
public sealed record GradientVerdict(GradientName Gradient, bool Pass, double MaxError, ElementReport Worst);

/// <summary>One oracle-2 probe: ⟨v, backward⟩ against ⟨dout, J·v⟩ for a direction v in one gradient's inputs.</summary>
public sealed record ProbeVerdict(GradientName Gradient, bool Pass, double Backward, double Exact, double Bound)
{
    /// <summary>|Backward − Exact|.</summary>
    public double Difference => Math.Abs(Backward - Exact);
}

/// <summary>
/// The result of checking one implementation on one problem. When the implementation threw, hung or returned
/// gradients of the wrong shape, <see cref="Error"/> says so and <see cref="Actual"/> is all NaN (nothing to trust);
/// <see cref="Hung"/> is true when it did not return in time.
/// </summary>
public sealed record CheckResult(
    string Id, BatchNormProblem Problem, Gradients Actual, string Oracle,
    IReadOnlyList<GradientVerdict> Gradients, IReadOnlyList<ProbeVerdict> Probes, string? Error = null, bool Hung = false)
{
    /// <summary>True when the implementation ran, and every gradient and every probe passed.</summary>
    public bool Pass => Error is null && Gradients.All(g => g.Pass) && Probes.All(p => p.Pass);

    /// <summary>The verdict on gradient <paramref name="g"/>, if it was compared element by element.</summary>
    public GradientVerdict? Of(GradientName g) => Gradients.FirstOrDefault(v => v.Gradient == g);

    /// <summary>The largest error of gradient <paramref name="g"/> in its natural unit (NaN when it was only probed).</summary>
    public double MaxError(GradientName g) => Of(g)?.MaxError ?? double.NaN;

    /// <summary>The names of the failing gradients.</summary>
    public IEnumerable<GradientName> Failing =>
        Gradients.Where(g => !g.Pass).Select(g => g.Gradient)
            .Concat(Probes.Where(p => !p.Pass).Select(p => p.Gradient)).Distinct();

    /// <summary>One line: "pass", or which gradient fails, at which element, by how much against which bound.</summary>
    public string Summary()
    {
        if (Pass) return "pass";
        if (Error is not null) return Error;
        var lines = new List<string>();
        foreach (var g in Gradients.Where(g => !g.Pass))
        {
            var w = g.Worst;
            lines.Add(Poison.Is(w.Actual)
                ? $"{Bnv.Name(g.Gradient)} fails ({Oracle}): {w.Where} was never written (expected {w.Expected:G6})"
                : $"{Bnv.Name(g.Gradient)} fails ({Oracle}): worst {w.Where} expected {w.Expected:G6}, actual {w.Actual:G6}, " +
                  $"error {w.Error:G3} exceeds bound {w.Bound:G3} (in units of {Bnv.UnitName(g.Gradient)})");
        }
        foreach (var p in Probes.Where(p => !p.Pass))
            lines.Add($"{Bnv.Name(p.Gradient)} fails (directional derivative): <v, backward> = {p.Backward:G6} but <dout, J·v> = {p.Exact:G6}, " +
                      $"difference {p.Difference:G3} exceeds bound {p.Bound:G3}");
        return string.Join("; ", lines);
    }

    private static class Bnv
    {
        public static string Name(GradientName g) => BnVerify.Gradients.NameOf(g);

        public static string UnitName(GradientName g) => g switch
        {
            GradientName.Dx => "|gamma|·invStd·max|dout| per column",
            GradientName.Dgamma => "Σ|dout|·(1+|xhat|) per column",
            _ => "Σ|dout| per column",
        };
    }
}

/// <summary>
/// The gradient checker shared by the tests and the command line: runs an implementation on a problem and judges
/// its gradients against oracle 1 (finite differences, element by element) where affordable, and against oracle 2
/// (exact directional derivatives) always; or against stored reference values (golden cases).
/// An element passes when |actual − reference| ≤ (reference's own error bound) + (the implementation's rounding
/// allowance, <see cref="ErrorModel.Allowance"/>): no fixed atol/rtol anywhere.
/// </summary>
public static class GradientChecker
{
    /// <summary>Checks <paramref name="impl"/> on <paramref name="problem"/> (first rounded to the implementation's precision) against the numerical oracles.</summary>
    public static CheckResult Check(IBatchNormBackward impl, BatchNormProblem problem, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(impl);
        return CheckAll([impl], problem, options)[0];
    }

    /// <summary>
    /// Checks several implementations on one problem, preparing each oracle once per precision (the oracles cost far
    /// more than a backward), in the order given.
    /// </summary>
    /// <param name="implementations">The implementations, judged in this order.</param>
    /// <param name="problem">The problem, in float64; each implementation sees it rounded to its precision.</param>
    /// <param name="options">How to check; <see cref="CheckOptions.Default"/> when null.</param>
    /// <param name="oracles">The oracles to use instead of <see cref="CheckOptions.OraclesFor"/> (e.g. stored expected values).</param>
    public static IReadOnlyList<CheckResult> CheckAll(IReadOnlyList<IBatchNormBackward> implementations, BatchNormProblem problem, CheckOptions? options = null,
        IReadOnlyList<IOracle>? oracles = null)
    {
        ArgumentNullException.ThrowIfNull(implementations);
        ArgumentNullException.ThrowIfNull(problem);
        options ??= CheckOptions.Default;
        var prepared = new Dictionary<Type, (BatchNormProblem Seen, IReadOnlyList<IPreparedOracle> Oracles)>();
        var results = new List<CheckResult>(implementations.Count);
        foreach (var impl in implementations)
        {
            if (!prepared.TryGetValue(impl.ElementType, out var r))
            {
                var seen = impl.InItsPrecision(problem);
                var model = ErrorModel.For(seen, options.AllowanceScale);
                r = (seen, (oracles ?? options.OraclesFor(seen)).Select(o => o.Prepare(seen, model)).ToList());
                prepared[impl.ElementType] = r;
            }
            results.Add(Judge(impl, r.Seen, r.Oracles, options));
        }
        return results;
    }

    /// <summary>Checks <paramref name="impl"/> on <paramref name="problem"/> against stored reference values (for example a golden case's expected gradients).</summary>
    public static CheckResult CheckAgainst(IBatchNormBackward impl, BatchNormProblem problem, Gradients expected, string oracle)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(expected);
        var seen = impl.InItsPrecision(problem);
        return Judge(impl, seen, [Oracles.Stored(oracle, expected).Prepare(seen, ErrorModel.For(seen))]);
    }

    /// <summary>Runs <paramref name="impl"/> on <paramref name="seen"/> (already in its precision) and has every prepared oracle judge the result.</summary>
    public static CheckResult Judge(IBatchNormBackward impl, BatchNormProblem seen, IReadOnlyList<IPreparedOracle> oracles, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(oracles);
        var (actual, error, hung) = GuardedRun(impl, seen, (options ?? CheckOptions.Default).CallTimeout);
        var elements = new List<GradientVerdict>();
        var probes = new List<ProbeVerdict>();
        var names = new List<string>();
        foreach (var oracle in oracles)
        {
            var judgement = oracle.Judge(actual, impl.UnitRoundoff);
            elements.AddRange(judgement.Elements);
            probes.AddRange(judgement.Probes);
            if (judgement.Elements.Count > 0) names.Add(oracle.Name);
        }
        if (names.Count == 0 && probes.Count > 0) names.Add("directional derivatives");
        return new CheckResult(impl.Info.Id, seen, actual, string.Join(" + ", names), elements, probes, error, hung);
    }

    /// <summary>
    /// Runs code BnVerify may not have written, so that whatever it does ends in gradients or in one line saying what went
    /// wrong: an exception (its type and message), no answer within <paramref name="timeout"/> (a hang: the call is
    /// abandoned on its background worker thread, which .NET cannot stop, and the caller should call this implementation no
    /// more), or gradients of the wrong shape. On any of these the gradients are all NaN. A <see cref="NotAVerdictException"/>
    /// (an external program that failed as a program) is no verdict: it is thrown on.
    /// </summary>
    public static (Gradients Actual, string? Error, bool Hung) GuardedRun(IBatchNormBackward impl, BatchNormProblem problem, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(problem);
        // On a worker thread of the caller's own (not the thread pool, which the callers' Parallel.For is using), joined with a time limit.
        var call = GuardedCall.Run(() => impl.Run(problem), timeout);
        var result = call.Result;
        var thrown = call.Thrown;
        if (thrown is NotAVerdictException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown); // the harness failed, not the gradient
        string? error;
        bool hung = call.Hung;
        if (hung)
            error = $"{impl.Info.Id} did not return within {timeout.TotalSeconds:G4} s on a {problem.ShapeText} problem (hung, or far too slow)";
        else if (thrown is not null)
            error = $"{impl.Info.Id} threw {thrown.GetType().Name}: {OneLine(thrown.Message)}";
        else if (result is not { } g || g.N != problem.N || g.D != problem.D || g.Dx?.Length != problem.N * problem.D
                 || g.Dgamma?.Length != problem.D || g.Dbeta?.Length != problem.D)
            error = $"{impl.Info.Id} returned gradients of the wrong shape for a {problem.ShapeText} problem";
        else
            return (g, null, false);
        return (NotANumber(problem.N, problem.D), error, hung);
    }

    private static Gradients NotANumber(int n, int d)
    {
        var dx = new double[n * d];
        var dgamma = new double[d];
        var dbeta = new double[d];
        Array.Fill(dx, double.NaN);
        Array.Fill(dgamma, double.NaN);
        Array.Fill(dbeta, double.NaN);
        return new Gradients(n, d, dx, dgamma, dbeta);
    }

    private static string OneLine(string text) =>
        string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Compares gradients element by element with a reference; <paramref name="u"/> is the implementation's unit roundoff.</summary>
    public static IReadOnlyList<GradientVerdict> CompareElements(Gradients actual, Reference reference, ErrorModel model, double u)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(model);
        var result = new List<GradientVerdict>(3);
        foreach (var g in Gradients.All)
        {
            var a = actual.Of(g);
            var e = reference.ValuesOf(g);
            var refBound = reference.BoundsOf(g);
            bool pass = true;
            double maxError = 0;
            // The element reported: among failing ones the largest error in natural units (NaN first), ties by the ratio
            // to the bound; when all pass, the one closest to its bound.
            (bool Failing, double Error, double Ratio) worstKey = (false, -1, -1);
            int worst = 0;
            for (int k = 0; k < a.Length; k++)
            {
                double diff = Math.Abs(a[k] - e[k]);
                double bound = refBound[k] + model.Allowance(g, k, u);
                bool ok = diff <= bound; // false for NaN
                pass &= ok;
                double error = double.IsNaN(diff) ? double.NaN : model.InUnits(g, k, diff);
                if (!(error <= maxError) && !double.IsNaN(maxError)) maxError = error; // NaN wins, and stays
                double ratio = ok ? (bound > 0 ? diff / bound : 0) : double.IsNaN(diff) ? double.PositiveInfinity : (bound > 0 ? diff / bound : double.MaxValue);
                var key = (!ok, ok ? 0 : double.IsNaN(error) ? double.PositiveInfinity : error, ratio);
                if (key.CompareTo(worstKey) > 0)
                {
                    worstKey = key;
                    worst = k;
                }
            }
            int d = actual.D;
            var problem = model.Problem;
            var report = new ElementReport(g, g == GradientName.Dx ? worst / d : 0, g == GradientName.Dx ? worst % d : worst,
                e[worst], a[worst], model.InUnits(g, worst, Math.Abs(a[worst] - e[worst])),
                model.InUnits(g, worst, refBound[worst] + model.Allowance(g, worst, u)),
                g == GradientName.Dx && problem.IsSpatial ? Layouts.Where(worst, problem.Shape, problem.Layout) : null);
            result.Add(new GradientVerdict(g, pass, maxError, report));
        }
        return result;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Gaussian(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
