using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verify.Support;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Pins the absolute size of the checker's tolerance, per oracle and per element type, so a looser checker turns the
/// suite red. The allowance is recomputed here from its documented formula (README, <see cref="ErrorModel"/>):
/// A = (8·u·(N + 4 + √N·κ_j) + ρ_j)·unit_j, times (2 + |xhat|) for dx, with ρ_j = |Σxhat|/N and dbeta's κ and ρ taken as 0 — not read from the checker.
/// On problems whose exact gradients are known independently (the checker's float64 closed form, PyTorch's stored
/// values, and one-element gradients under the directional oracle), one element moved by 10·A is flagged and one moved
/// by A/4 is not. Each oracle adds its own float64 rounding (another A at u = 2^-53), so against a float64
/// implementation the bound is 2·A: 10·A sits 5× past it and A/4 8× inside it.
/// </summary>
public sealed class ToleranceTests
{
    private const double U64 = 1.0 / (1L << 53);
    private const double U32 = 1.0 / (1 << 24);

    public static TheoryData<double> Roundoffs => new() { U64, U32 };

    [Theory]
    [MemberData(nameof(Roundoffs))]
    public void Closed_form_oracle_flags_ten_allowances_and_passes_a_quarter(double u) => AssertPinned(ClosedFormMoves(u, 1), atLeast: 100);

    [Theory]
    [MemberData(nameof(Roundoffs))]
    public void Stored_values_flag_ten_allowances_and_pass_a_quarter(double u) => AssertPinned(StoredMoves(u, 1), atLeast: 30);

    /// <summary>
    /// One random element of each gradient of 60 random problems moved by 10·A and by A/4 against the closed form, judged
    /// by a checker whose allowance is scaled by <paramref name="scale"/> (1: the real one): how many moves were judged,
    /// and what went against the pin.
    /// </summary>
    internal static (int Tested, List<string> Violations) ClosedFormMoves(double u, double scale)
    {
        var random = new Random(1812);
        int tested = 0;
        var violations = new List<string>();
        for (int t = 0; t < 60; t++)
        {
            var p = ProblemGenerator.Generate(random);
            tested += MovesAreJudged(p, ClosedForm.Gradients(p), Oracles.ClosedFormValues, u, random, scale, violations);
        }
        return (tested, violations);
    }

    /// <summary>As <see cref="ClosedFormMoves"/> against PyTorch's stored gradients of the 17 golden cases.</summary>
    internal static (int Tested, List<string> Violations) StoredMoves(double u, double scale)
    {
        var random = new Random(1813);
        int tested = 0;
        var violations = new List<string>();
        foreach (var golden in GoldenCases.Torch)
            tested += MovesAreJudged(golden.Problem, golden.Expected!, Oracles.Stored("golden", golden.Expected!), u, random, scale, violations);
        return (tested, violations);
    }

    /// <summary>No move went against the pin, and at least <paramref name="atLeast"/> moves were judged.</summary>
    private static void AssertPinned((int Tested, List<string> Violations) moves, int atLeast)
    {
        Assert.True(moves.Violations.Count == 0, $"{moves.Violations.Count} move(s) judged against the documented allowance:\n" + string.Join("\n", moves.Violations.Take(5)));
        Assert.True(moves.Tested >= atLeast, $"only {moves.Tested} elements had a representable margin");
    }

    [Theory]
    [MemberData(nameof(Roundoffs))]
    public void Directional_probes_flag_ten_allowances_of_a_one_element_gradient(double u)
    {
        // With D = 1, dgamma and dbeta have one element: a probe is v·a against v·exact, so a move of the element is
        // seen whole. The probe's bound is |v|·(A(u) + A(u64)) plus the inner product's rounding.
        var random = new Random(1814);
        for (int t = 0; t < 40; t++)
        {
            var p = ProblemGenerator.Generate(random, random.Next(2, 40), 1);
            var exact = ClosedForm.Gradients(p);
            foreach (var g in new[] { GradientName.Dgamma, GradientName.Dbeta })
            {
                double a = DocumentedAllowance(p, g, 0, u);
                if (!Representable(exact.Of(g)[0], a)) continue;
                Assert.False(ProbesPass(p, exact.Moved(g, 0, 10 * a), u), $"{Gradients.NameOf(g)} moved by 10 allowances passed the probes on {p}");
                Assert.True(ProbesPass(p, exact.Moved(g, 0, 0.25 * a), u), $"{Gradients.NameOf(g)} moved by a quarter allowance failed the probes on {p}");
            }
        }
    }

    /// <summary>The element with the largest move still inside its bound passes; one just outside fails — with margins of many ulps.</summary>
    [Fact]
    public void The_edge_is_where_the_documented_bound_says()
    {
        var random = new Random(1815);
        int tested = 0;
        for (int t = 0; t < 60; t++)
        {
            var p = ProblemGenerator.Generate(random);
            var exact = ClosedForm.Gradients(p);
            var model = ErrorModel.For(p);
            var reference = Oracles.ClosedFormValues.Prepare(p, model);
            foreach (var g in Gradients.All)
            {
                int k = random.Next(exact.Of(g).Length);
                double bound = 2 * DocumentedAllowance(p, g, k, U64); // the oracle's own rounding + the implementation's
                if (!Representable(exact.Of(g)[k], 0.05 * bound)) continue;
                Assert.True(Passes(reference.Judge(exact.Moved(g, k, 0.95 * bound), U64), g), $"{Gradients.NameOf(g)}[{k}] 5% inside the bound failed on {p}");
                Assert.False(Passes(reference.Judge(exact.Moved(g, k, 1.05 * bound), U64), g), $"{Gradients.NameOf(g)}[{k}] 5% outside the bound passed on {p}");
                tested++;
            }
        }
        Assert.True(tested >= 60, $"only {tested} elements had a representable margin");
    }

    /// <summary>
    /// Moves one random element of each gradient by 10·A and by A/4 and has <paramref name="oracle"/>, prepared with the
    /// allowance scaled by <paramref name="scale"/>, judge them; adds what went against the pin to
    /// <paramref name="violations"/> and returns how many moves were judged.
    /// </summary>
    private static int MovesAreJudged(BatchNormProblem p, Gradients exact, IOracle oracle, double u, Random random, double scale, List<string> violations)
    {
        var prepared = oracle.Prepare(p, ErrorModel.For(p, scale));
        int tested = 0;
        foreach (var g in Gradients.All)
        {
            int k = random.Next(exact.Of(g).Length);
            double a = DocumentedAllowance(p, g, k, u);
            if (!Representable(exact.Of(g)[k], 0.25 * a)) continue;
            if (Passes(prepared.Judge(exact.Moved(g, k, 10 * a), u), g))
                violations.Add($"{oracle.Name}: {Gradients.NameOf(g)}[{k}] moved by 10 allowances passed on {p}");
            if (!Passes(prepared.Judge(exact.Moved(g, k, 0.25 * a), u), g))
                violations.Add($"{oracle.Name}: {Gradients.NameOf(g)}[{k}] moved by a quarter allowance failed on {p}");
            tested++;
        }
        return tested;
    }

    /// <summary>The documented rounding allowance, from its formula, computed here from the problem alone.</summary>
    internal static double DocumentedAllowance(BatchNormProblem p, GradientName g, int k, double u)
    {
        int n = p.N, d = p.D, j = g == GradientName.Dx ? k % d : k;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += p.X[i * d + j];
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (p.X[i * d + j] - mean) * (p.X[i * d + j] - mean);
        double invStd = 1 / Math.Sqrt(var / n + p.Eps);
        double kappa = 0, maxDout = 0, sumDout = 0, sumDoutXhat = 0, sumXhat = 0;
        for (int i = 0; i < n; i++)
        {
            double dout = Math.Abs(p.Dout[i * d + j]);
            double xhat = (p.X[i * d + j] - mean) * invStd;
            kappa = Math.Max(kappa, Math.Abs(p.X[i * d + j]) * invStd);
            maxDout = Math.Max(maxDout, dout);
            sumDout += dout;
            sumDoutXhat += dout * (1 + Math.Abs(xhat));
            sumXhat += xhat;
        }
        // ρ = |Σ xhat|/N, the forward's mean residue (0 in exact arithmetic); √N·κ, the mean's rounding walk (ErrorModel).
        double rho = Math.Abs(sumXhat) / n;
        return g switch
        {
            GradientName.Dx => (8 * u * (n + 4 + Math.Sqrt(n) * kappa) + rho) * Math.Abs(p.Gamma[j]) * invStd * maxDout * (2 + Math.Abs((p.X[k] - mean) * invStd)),
            GradientName.Dgamma => (8 * u * (n + 4 + Math.Sqrt(n) * kappa) + rho) * sumDoutXhat,
            _ => 8 * u * (n + 4) * sumDout,
        };
    }

    /// <summary>True when a move of <paramref name="by"/> changes <paramref name="value"/> by at least four of its ulps (and is not zero).</summary>
    private static bool Representable(double value, double by) =>
        by > 0 && double.IsFinite(by) && by >= 4 * (Math.BitIncrement(Math.Abs(value) + by) - (Math.Abs(value) + by));

    private static bool Passes(OracleJudgement judgement, GradientName g) =>
        judgement.Elements.Single(v => v.Gradient == g).Pass && judgement.Probes.Where(v => v.Gradient == g).All(v => v.Pass);

    private static bool ProbesPass(BatchNormProblem p, Gradients actual, double u) =>
        Oracles.DirectionalDerivatives(4, 99).Prepare(p, ErrorModel.For(p)).Judge(actual, u).Probes.All(v => v.Pass);
}
