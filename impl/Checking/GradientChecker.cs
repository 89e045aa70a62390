namespace BnVerify.Checking;

/// <summary>How a check is run.</summary>
/// <param name="FiniteDifferences">Compare every element with oracle 1; null chooses it when N²·D is at most <see cref="FiniteDifferenceBudget"/>.</param>
/// <param name="ProbesPerGradient">Oracle-2 probes per gradient (dx, dgamma, dbeta); 0 turns oracle 2 off.</param>
/// <param name="ProbeSeed">Seed of the probe directions, so a check is repeatable.</param>
public sealed record CheckOptions(bool? FiniteDifferences = null, int ProbesPerGradient = 2, int ProbeSeed = 12345)
{
    /// <summary>Largest N²·D for which oracle 1 is used by default (a few milliseconds of work).</summary>
    public const long FiniteDifferenceBudget = 1_000_000;

    /// <summary>The defaults.</summary>
    public static CheckOptions Default { get; } = new();
}

/// <summary>One element of a gradient as compared: where it is, expected and actual values, error and bound in natural units.</summary>
public sealed record ElementReport(GradientName Gradient, int Row, int Col, double Expected, double Actual, double Error, double Bound)
{
    /// <summary>"dx[2][0]" or "dgamma[1]".</summary>
    public string Where => Gradient == GradientName.Dx ? $"dx[{Row}][{Col}]" : $"{Gradients.NameOf(Gradient)}[{Col}]";
}

/// <summary>The verdict on one gradient: pass or fail, the largest error in natural units, and the worst element (largest error relative to its bound).</summary>
public sealed record GradientVerdict(GradientName Gradient, bool Pass, double MaxError, ElementReport Worst);

/// <summary>One oracle-2 probe: ⟨v, backward⟩ against ⟨dout, J·v⟩ for a direction v in one gradient's inputs.</summary>
public sealed record ProbeVerdict(GradientName Gradient, bool Pass, double Backward, double Exact, double Bound)
{
    /// <summary>|Backward − Exact|.</summary>
    public double Difference => Math.Abs(Backward - Exact);
}

/// <summary>The result of checking one implementation on one problem.</summary>
public sealed record CheckResult(
    string Id, BatchNormProblem Problem, Gradients Actual, string Oracle,
    IReadOnlyList<GradientVerdict> Gradients, IReadOnlyList<ProbeVerdict> Probes)
{
    /// <summary>True when every gradient and every probe passed.</summary>
    public bool Pass => Gradients.All(g => g.Pass) && Probes.All(p => p.Pass);

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
        var lines = new List<string>();
        foreach (var g in Gradients.Where(g => !g.Pass))
        {
            var w = g.Worst;
            lines.Add($"{Bnv.Name(g.Gradient)} fails ({Oracle}): worst {w.Where} expected {w.Expected:G6}, actual {w.Actual:G6}, " +
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
    /// Checks several implementations on one problem, computing each oracle once per precision (the oracles cost far
    /// more than a backward), in the order given.
    /// </summary>
    public static IReadOnlyList<CheckResult> CheckAll(IReadOnlyList<IBatchNormBackward> implementations, BatchNormProblem problem, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(implementations);
        ArgumentNullException.ThrowIfNull(problem);
        options ??= CheckOptions.Default;
        var references = new Dictionary<Type, (BatchNormProblem Seen, ErrorModel Model, Reference? Fd)>();
        var results = new List<CheckResult>(implementations.Count);
        foreach (var impl in implementations)
        {
            if (!references.TryGetValue(impl.ElementType, out var r))
            {
                var seen = impl.InItsPrecision(problem);
                bool useFd = options.FiniteDifferences ?? (long)seen.N * seen.N * seen.D <= CheckOptions.FiniteDifferenceBudget;
                r = (seen, ErrorModel.For(seen), useFd ? FiniteDifferenceOracle.Compute(seen) : null);
                references[impl.ElementType] = r;
            }
            var actual = impl.Run(r.Seen);
            var verdicts = r.Fd is null ? [] : CompareElements(actual, r.Fd, r.Model, impl.UnitRoundoff);
            var probes = Probe(r.Seen, actual, r.Model, impl.UnitRoundoff, options);
            results.Add(new CheckResult(impl.Info.Id, r.Seen, actual, r.Fd is null ? "directional derivatives" : "finite differences", verdicts, probes));
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
        var actual = impl.Run(seen);
        var model = ErrorModel.For(seen);
        var reference = Reference.Stored(oracle, expected, model);
        return new CheckResult(impl.Info.Id, seen, actual, oracle, CompareElements(actual, reference, model, impl.UnitRoundoff), []);
    }

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
            double maxError = 0, worstRatio = -1;
            int worst = 0;
            for (int k = 0; k < a.Length; k++)
            {
                double diff = Math.Abs(a[k] - e[k]);
                double bound = refBound[k] + model.Allowance(g, k, u);
                bool ok = diff <= bound; // false for NaN
                pass &= ok;
                double error = double.IsNaN(diff) ? double.NaN : model.InUnits(g, k, diff);
                if (!(error <= maxError)) maxError = error; // NaN wins
                double ratio = ok ? (bound > 0 ? diff / bound : 0) : double.IsNaN(diff) ? double.PositiveInfinity : (bound > 0 ? diff / bound : double.MaxValue);
                if (ratio > worstRatio)
                {
                    worstRatio = ratio;
                    worst = k;
                }
            }
            int d = actual.D;
            var report = new ElementReport(g, g == GradientName.Dx ? worst / d : 0, g == GradientName.Dx ? worst % d : worst,
                e[worst], a[worst], model.InUnits(g, worst, Math.Abs(a[worst] - e[worst])),
                model.InUnits(g, worst, refBound[worst] + model.Allowance(g, worst, u)));
            result.Add(new GradientVerdict(g, pass, maxError, report));
        }
        return result;
    }

    /// <summary>Oracle 2: a few Gaussian directions per gradient; each compares ⟨v, backward⟩ with ⟨dout, J·v⟩.</summary>
    private static IReadOnlyList<ProbeVerdict> Probe(BatchNormProblem p, Gradients actual, ErrorModel model, double u, CheckOptions options)
    {
        var probes = new List<ProbeVerdict>();
        var random = new Random(options.ProbeSeed);
        int n = p.N, d = p.D;
        var zeroX = new double[n * d];
        var zeroD = new double[d];
        foreach (var g in Gradients.All)
        {
            for (int t = 0; t < options.ProbesPerGradient; t++)
            {
                int length = g == GradientName.Dx ? n * d : d;
                var v = new double[length];
                for (int k = 0; k < length; k++) v[k] = Gaussian(random);
                double exact = g switch
                {
                    GradientName.Dx => DirectionalOracle.DirectionalDerivative(p, v, zeroD, zeroD),
                    GradientName.Dgamma => DirectionalOracle.DirectionalDerivative(p, zeroX, v, zeroD),
                    _ => DirectionalOracle.DirectionalDerivative(p, zeroX, zeroD, v),
                };
                var a = actual.Of(g);
                double backward = 0, magnitude = 0, bound = 0;
                for (int k = 0; k < length; k++)
                {
                    backward += v[k] * a[k];
                    magnitude += Math.Abs(v[k] * a[k]);
                    // The implementation's rounding plus the dual-number forward's own (a float64 computation of the same gradient).
                    bound += Math.Abs(v[k]) * (model.Allowance(g, k, u) + model.Allowance(g, k, ErrorModel.Float64Roundoff));
                }
                // Rounding of the two inner products of `length` terms.
                bound += 4 * ErrorModel.Float64Roundoff * length * magnitude;
                bool ok = Math.Abs(backward - exact) <= bound;
                probes.Add(new ProbeVerdict(g, ok, backward, exact, bound));
            }
        }
        return probes;
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
