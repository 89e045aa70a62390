namespace BnVerify.Checking;

/// <summary>
/// Something the checker compares a backward's gradients with. Every oracle is used the same way: it is prepared once
/// per problem (its cost is paid once, however many implementations are judged), then judges each implementation's
/// gradients. An element-wise oracle (finite differences, the closed form, stored values) yields one
/// <see cref="GradientVerdict"/> per gradient; the directional-derivative oracle yields <see cref="ProbeVerdict"/>s.
/// </summary>
public interface IOracle
{
    /// <summary>The name shown in reports, e.g. "finite differences".</summary>
    string Name { get; }

    /// <summary>Prepares the oracle on <paramref name="problem"/> (already in the implementation's precision), whose error model is <paramref name="model"/>.</summary>
    IPreparedOracle Prepare(BatchNormProblem problem, ErrorModel model);
}

/// <summary>An oracle prepared on one problem: judges gradients computed on that problem.</summary>
public interface IPreparedOracle
{
    /// <summary>The oracle's name.</summary>
    string Name { get; }

    /// <summary>Judges <paramref name="actual"/>, computed by an implementation with unit roundoff <paramref name="u"/>.</summary>
    OracleJudgement Judge(Gradients actual, double u);
}

/// <summary>What one oracle found: element-wise verdicts (one per gradient) and directional probes; either may be empty.</summary>
/// <param name="Elements">One verdict per gradient, compared element by element.</param>
/// <param name="Probes">Directional-derivative probes.</param>
public sealed record OracleJudgement(IReadOnlyList<GradientVerdict> Elements, IReadOnlyList<ProbeVerdict> Probes);

/// <summary>
/// The oracles the checker ships with. Each element-wise one produces a <see cref="Reference"/>: values with a
/// per-element bound on their own distance from the exact gradient; an implementation's element passes when
/// |actual − reference| ≤ that bound + the implementation's rounding allowance (<see cref="ErrorModel.Allowance"/>).
/// </summary>
public static class Oracles
{
    /// <summary>Oracle 1, central finite differences in float64 (<see cref="FiniteDifferenceOracle"/>): independent of any formula, O(N²·D).</summary>
    public static IOracle FiniteDifferences { get; } = new ElementWise("finite differences", (p, _) => FiniteDifferenceOracle.Compute(p));

    /// <summary>
    /// The exact closed form in float64, owned by the checker (<see cref="ClosedForm"/>): O(N·D), so it judges shapes far
    /// too large for finite differences element by element. Its bound is a float64 implementation's allowance.
    /// </summary>
    public static IOracle ClosedFormValues { get; } = new ElementWise("closed form", (p, m) => Reference.Stored("closed form", ClosedForm.Gradients(p), m));

    /// <summary>Oracle 2, exact directional derivatives by dual numbers (<see cref="DirectionalOracle"/>), <paramref name="probesPerGradient"/> Gaussian directions per gradient from <paramref name="seed"/>.</summary>
    public static IOracle DirectionalDerivatives(int probesPerGradient = 2, int seed = 12345) => new Directional(probesPerGradient, seed);

    /// <summary>Stored expected values (a golden case's), computed in float64 by another program: bound is float64 rounding.</summary>
    public static IOracle Stored(string name, Gradients expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return new ElementWise(name, (p, m) =>
        {
            if (expected.N != p.N || expected.D != p.D)
                throw new ArgumentException($"stored gradients are {expected.N}×{expected.D}; the problem is {p.N}×{p.D}");
            return Reference.Stored(name, expected, m);
        });
    }

    private sealed class ElementWise(string name, Func<BatchNormProblem, ErrorModel, Reference> compute) : IOracle
    {
        public string Name => name;

        public IPreparedOracle Prepare(BatchNormProblem problem, ErrorModel model) => new Prepared(name, compute(problem, model), model);

        private sealed class Prepared(string name, Reference reference, ErrorModel model) : IPreparedOracle
        {
            public string Name => name;

            public OracleJudgement Judge(Gradients actual, double u) =>
                new(GradientChecker.CompareElements(actual, reference, model, u), []);
        }
    }

    private sealed class Directional(int probesPerGradient, int seed) : IOracle
    {
        public string Name => "directional derivatives";

        public IPreparedOracle Prepare(BatchNormProblem problem, ErrorModel model)
        {
            // The directions and the exact ⟨dout, J·v⟩ are computed once; each judgement is then O(N·D).
            var random = new Random(seed);
            int n = problem.N, d = problem.D;
            var zeroX = new double[n * d];
            var zeroD = new double[d];
            var probes = new List<(GradientName G, double[] V, double Exact)>();
            foreach (var g in Gradients.All)
            {
                for (int t = 0; t < probesPerGradient; t++)
                {
                    int length = g == GradientName.Dx ? n * d : d;
                    var v = new double[length];
                    for (int k = 0; k < length; k++) v[k] = GradientChecker.Gaussian(random);
                    double exact = g switch
                    {
                        GradientName.Dx => DirectionalOracle.DirectionalDerivative(problem, v, zeroD, zeroD),
                        GradientName.Dgamma => DirectionalOracle.DirectionalDerivative(problem, zeroX, v, zeroD),
                        _ => DirectionalOracle.DirectionalDerivative(problem, zeroX, zeroD, v),
                    };
                    probes.Add((g, v, exact));
                }
            }
            return new Prepared(Name, probes, model);
        }

        private sealed class Prepared(string name, List<(GradientName G, double[] V, double Exact)> probes, ErrorModel model) : IPreparedOracle
        {
            public string Name => name;

            public OracleJudgement Judge(Gradients actual, double u)
            {
                var verdicts = new List<ProbeVerdict>(probes.Count);
                foreach (var (g, v, exact) in probes)
                {
                    var a = actual.Of(g);
                    double backward = 0, magnitude = 0, bound = 0;
                    for (int k = 0; k < v.Length; k++)
                    {
                        backward += v[k] * a[k];
                        magnitude += Math.Abs(v[k] * a[k]);
                        // The implementation's rounding plus the dual-number forward's own (a float64 computation of the same gradient).
                        bound += Math.Abs(v[k]) * (model.Allowance(g, k, u) + model.Allowance(g, k, ErrorModel.Float64Roundoff));
                    }
                    // Rounding of the two inner products of `length` terms.
                    bound += 4 * ErrorModel.Float64Roundoff * v.Length * magnitude;
                    bool ok = Math.Abs(backward - exact) <= bound; // false for NaN
                    verdicts.Add(new ProbeVerdict(g, ok, backward, exact, bound));
                }
                return new OracleJudgement([], verdicts);
            }
        }
    }
}

/// <summary>
/// The exact gradients in closed form, computed plainly in float64 from the float64 forward (Ioffe and Szegedy 2015,
/// the backward of Algorithm 1 simplified; cs231n's <c>batchnorm_backward_alt</c> as meant):
/// dbeta = Σ_i dout, dgamma = Σ_i dout·xhat, dx = (gamma·invStd/N)·(N·dout − Σ_i dout − xhat·Σ_i dout·xhat).
/// Owned by the checker (the doctor's exact values and an O(N·D) element-wise oracle), independent of every implementation.
/// </summary>
public static class ClosedForm
{
    /// <summary>The exact gradients of <paramref name="p"/>, in float64.</summary>
    public static Gradients Gradients(BatchNormProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.N, d = p.D;
        var (_, cache) = BatchNorm.Forward<double>(p);
        var xhat = cache.Xhat;
        var invStd = cache.InvStd;
        var dbeta = new double[d];
        var dgamma = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                dbeta[j] += p.Dout[i * d + j];
                dgamma[j] += p.Dout[i * d + j] * xhat[i * d + j];
            }
        var dx = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                int k = i * d + j;
                dx[k] = p.Gamma[j] * invStd[j] / n * (n * p.Dout[k] - dbeta[j] - xhat[k] * dgamma[j]);
            }
        return new Gradients(n, d, dx, dgamma, dbeta);
    }
}
