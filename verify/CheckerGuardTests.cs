using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The guards of the checker guard (issue 18, point 4): a deliberately looser checker (<see cref="CheckOptions.AllowanceScale"/>,
/// passed in like every other option) breaks the allowance pins of <see cref="ToleranceTests"/>, a narrower problem source
/// is named by the coverage pins of <see cref="CoverageTests"/>, and the documented allowance — not the oracles' own
/// bounds — is what catches the small flaws: on a problem built for each, the real checker flags the mutant and a checker
/// 10⁴ times looser lets it through.
/// </summary>
public sealed class CheckerGuardTests(ITestOutputHelper output)
{
    private const double U64 = ErrorModel.Float64Roundoff;

    [Fact]
    public void A_checker_ten_times_looser_breaks_the_allowance_pins()
    {
        // The real checker holds each pin with no violation (ToleranceTests); one with the allowance × 10 lets the moves of
        // 10 allowances through, and the pin's message says which element of which gradient against which oracle.
        foreach (var (name, moves) in new (string, Func<double, (int Tested, List<string> Violations)>)[]
                 {
                     ("closed form", scale => ToleranceTests.ClosedFormMoves(U64, scale)),
                     ("stored values", scale => ToleranceTests.StoredMoves(U64, scale)),
                 })
        {
            var real = moves(1);
            var loose = moves(10);
            output.WriteLine($"{name}: real checker {real.Violations.Count} of {real.Tested} moves against the pin; 10× looser {loose.Violations.Count} of {loose.Tested}");
            Assert.True(real.Violations.Count == 0,
                $"{name}: the real checker already breaks {real.Violations.Count} of {real.Tested} pins (see ToleranceTests), e.g. {real.Violations.FirstOrDefault()}");
            Assert.True(loose.Violations.Count >= 0.9 * loose.Tested, $"{name}: only {loose.Violations.Count} of {loose.Tested} moves broke the pin under a 10× looser checker");
            Assert.All(loose.Violations, v => Assert.Matches(@"^(closed form|golden): d(x|gamma|beta)\[\d+\] moved by 10 allowances passed on ", v));
        }
    }

    public static TheoryData<string, int, double, double, double, bool> SmallFlaws => new()
    {
        // id, N, offset in spreads (κ), spread, eps, integer dout: each found by scanning such problems for one whose
        // error lies between 1 and 10⁴ allowances (the factors at which they escape, 30–250, are pinned below: 10..1000).
        { "mutant-dx-scale-1e-7", 32, 1e4, 1, 1e-5, false },
        { "mutant-f32-accumulator", 8, 1e5, 1, 1e-5, true },
        { "mutant-variance-float32", 32, 0, 1e-2, 1e-2, false },
        { "mutant-eps-mismatch", 32, 0, 1e3, 1e-5, false },
        { "mutant-variance-moments-f64", 32, 1e4, 1, 1e-5, false },
        { "mutant-eps-outside-sqrt", 32, 1e2, 1, 1e-8, false },
        { "seed000-snippet", 8, 1e2, 1e3, 1e-2, false },
    };

    [Fact]
    public void The_small_flaws_escape_between_ten_and_a_thousand_allowances()
    {
        // How far inside the window each built problem sits: the factor at which the mutant passes (measured here by
        // bisection; the theory below asserts only both ends, 1 and 10⁴).
        foreach (var row in SmallFlaws)
        {
            var (id, n, kappa, spread, eps, integerDout) = ((string)row[0], (int)row[1], (double)row[2], (double)row[3], (double)row[4], (bool)row[5]);
            double escape = EscapeFactor(BuiltIn.Implementations.Get(id), SmallFlawProblem(n, kappa, spread, eps, integerDout));
            output.WriteLine($"{id}: escapes at an allowance × {escape:G3}");
            Assert.True(escape is >= 10 and <= 1000,
                $"{id} escapes at an allowance × {escape:G3}, outside 10..1000: the allowance has grown (or shrunk) by that much against the documented one");
        }
    }

    [Theory]
    [MemberData(nameof(SmallFlaws))]
    public void The_documented_allowance_is_what_catches_a_small_flaw(string id, int n, double kappa, double spread, double eps, bool integerDout)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var p = SmallFlawProblem(n, kappa, spread, eps, integerDout);
        var real = GradientChecker.Check(impl, p);
        var loose = GradientChecker.Check(impl, p, new CheckOptions { AllowanceScale = 1e4 });
        output.WriteLine($"{id} on {p.ShapeText} (κ = {kappa:G3}, spread {spread:G3}, eps {eps:G3}): real checker: {real.Summary()}; 10⁴ looser: {loose.Summary()}");
        // The problem itself raises no false alarm: correct implementations pass it under the real checker.
        foreach (var correct in new[] { "alt-simplified", "seed001-staged", "fused-simd-f64" })
            Assert.True(GradientChecker.Check(BuiltIn.Implementations.Get(correct), p).Pass, $"{correct} failed the problem built for {id}: a false alarm");
        // The factor at which the mutant escapes (a bisection of ~25 checks) is measured only to explain a failure.
        Assert.False(real.Pass, $"{id} passed the real checker on the problem built to sit between 1 and 10⁴ allowances " +
                                $"(κ = {kappa:G3}; it escapes at an allowance × {EscapeFactor(impl, p):G3}): the allowance has grown");
        Assert.True(loose.Pass, $"{id} was caught even by a checker 10⁴ times looser (it escapes at an allowance × {EscapeFactor(impl, p):G3}): " +
                                $"the problem no longer shows that the allowance is load-bearing; {loose.Summary()}");
    }

    public static TheoryData<string, string[]> Narrowings => new()
    {
        { "MaxN = 8", ["random draws: N > 32 (past a 32-row block)", "random draws: N in the top eighth of 1..64"] },
        { "MaxD = 8", ["random draws: D > 8 (past a vector of 8)", "random draws: D = 16"] },
        { "no zero-variance columns", ["a constant (zero-variance) column, N ≥ 2", "a constant column of ≥ 1024 equal values (the forward's mean residue ρ)"] },
        { "no offsets", ["a large offset: |mean| ≥ 1e3·σ (κ = max|x|/σ ≥ 1e3), N ≥ 4", "a very large offset: |mean| ≥ 1e6·σ, N ≥ 4"] },
        { "eps ≥ 1e-6", ["tiny eps: eps < 10·1E-08"] },
        { "no schedule", ["N = 4096 (2^12)", "D = 1025 (2^10 + 1)", "N = D = 129 (both axes past 2^7)"] },
    };

    [Theory]
    [MemberData(nameof(Narrowings))]
    public void A_narrower_source_is_named_by_each_class_it_misses(string narrowing, string[] expected)
    {
        var range = GeneratorRange.Default;
        var source = narrowing switch
        {
            "MaxN = 8" => new ProblemSource(range with { MaxN = 8 }, ShapeSchedule.Boundaries),
            "MaxD = 8" => new ProblemSource(range with { MaxD = 8 }, ShapeSchedule.Boundaries),
            "no zero-variance columns" => new ProblemSource(range with { ZeroVarianceChance = 0 }, ShapeSchedule.Boundaries),
            "no offsets" => new ProblemSource(range with { MaxOffset = 0 }, ShapeSchedule.Boundaries),
            "eps ≥ 1e-6" => new ProblemSource(range with { MinEps = 1e-6 }, ShapeSchedule.Boundaries),
            _ => ProblemSource.RandomOnly(range),
        };
        var drawn = Coverage.Draw(source, Properties.DefaultSeed, BackwardPropertyTests.Cases);
        var missing = Coverage.Missing(CoverageTests.PropertySource, drawn);
        output.WriteLine($"{narrowing}: missing {string.Join("; ", missing)}");
        Assert.All(expected, name => Assert.Contains(name, missing));
        // What was not narrowed is still drawn: the pins name what drifted and nothing else.
        Assert.False(missing.Contains("gamma = 0"), $"gamma = 0 went missing too, though '{narrowing}' leaves gamma alone");
    }

    /// <summary>
    /// An N×2 problem, columns at offset κ·spread with the given spread (Gaussian, seed 7), gamma 1.5 and 1.25, beta 0.5 and
    /// 1.5, dout Gaussian or small integers (so float32 sums of dout are exact and only Σdout·xhat rounds).
    /// </summary>
    private static BatchNormProblem SmallFlawProblem(int n, double kappa, double spread, double eps, bool integerDout)
    {
        const int d = 2;
        var random = new Random(7);
        var x = new double[n * d];
        var dout = new double[n * d];
        for (int k = 0; k < n * d; k++)
        {
            x[k] = kappa * spread + spread * GradientChecker.Gaussian(random);
            dout[k] = integerDout ? random.Next(-3, 4) : GradientChecker.Gaussian(random);
        }
        return new BatchNormProblem(n, d, x, [1.5, 1.25], [0.5, 1.5], eps, dout);
    }

    /// <summary>The smallest allowance scale (to 1%, between 1 and 10¹⁴) at which <paramref name="impl"/> passes <paramref name="p"/>.</summary>
    private static double EscapeFactor(IBatchNormBackward impl, BatchNormProblem p)
    {
        bool PassesAt(double log10) => GradientChecker.Check(impl, p, new CheckOptions { AllowanceScale = Math.Pow(10, log10) }).Pass;
        if (PassesAt(0)) return 1;
        if (!PassesAt(14)) return double.PositiveInfinity;
        double lo = 0, hi = 14;
        while (hi - lo > 0.004)
        {
            double mid = (lo + hi) / 2;
            if (PassesAt(mid)) hi = mid;
            else lo = mid;
        }
        return Math.Pow(10, hi);
    }
}
