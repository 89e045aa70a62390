using System.Runtime.CompilerServices;
using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.Implementations;
using BnVerify.Verify.Support;
using FsCheck.Xunit;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The checker itself: its two oracles agree, it passes exact gradients, it flags a gradient perturbed just above its
/// tolerance, it has no false alarms where the exact gradient is tiny or large, and oracle 2 checks large shapes.
/// </summary>
public sealed class CheckerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>FsCheck.Xunit settings of the properties below: 300 problems from a fixed replay seed.</summary>
    private const string Replay = "20261201,11400714819323198485";

    [Property(Arbitrary = [typeof(ProblemArbitrary)], MaxTest = 300, Replay = Replay)]
    public bool The_two_oracles_agree_on_random_problems(BatchNormProblem p)
    {
        // ⟨v, finite-difference gradient⟩ against the dual-number ⟨dout, J·v⟩: they may differ by Σ|v|·(FD bound)
        // plus the dual computation's own float64 rounding (the ErrorModel allowance).
        var fd = FiniteDifferenceOracle.Compute(p);
        var model = ErrorModel.For(p);
        var random = new Random(p.N * 131 + p.D);
        foreach (var g in Gradients.All)
        {
            var values = fd.ValuesOf(g);
            var bounds = fd.BoundsOf(g);
            var v = values.Select(_ => GradientChecker.Gaussian(random)).ToArray();
            double viaFd = 0, bound = 0;
            for (int k = 0; k < v.Length; k++)
            {
                viaFd += v[k] * values[k];
                bound += Math.Abs(v[k]) * (bounds[k] + model.Allowance(g, k, ErrorModel.Float64Roundoff))
                         + 4 * ErrorModel.Float64Roundoff * v.Length * Math.Abs(v[k] * values[k]);
            }
            var zx = new double[p.N * p.D];
            var zd = new double[p.D];
            double exact = g switch
            {
                GradientName.Dx => DirectionalOracle.DirectionalDerivative(p, v, zd, zd),
                GradientName.Dgamma => DirectionalOracle.DirectionalDerivative(p, zx, v, zd),
                _ => DirectionalOracle.DirectionalDerivative(p, zx, zd, v),
            };
            if (!(Math.Abs(viaFd - exact) <= bound)) return false;
        }
        return true;
    }

    [Property(Arbitrary = [typeof(ProblemArbitrary)], MaxTest = 300, Replay = Replay)]
    public bool Finite_differences_are_within_their_own_bound_of_the_closed_form(BatchNormProblem p)
    {
        // The closed form (alt-simplified) is exact up to float64 rounding, which the ErrorModel bounds.
        var fd = FiniteDifferenceOracle.Compute(p);
        var model = ErrorModel.For(p);
        return GradientChecker.CompareElements(new AltSimplified().Run(p), fd, model, ErrorModel.Float64Roundoff).All(v => v.Pass);
    }

    [Property(Arbitrary = [typeof(ProblemArbitrary)], MaxTest = 300, Replay = Replay)]
    public bool The_checker_passes_exact_gradients_and_flags_one_element_moved_just_past_its_bound(BatchNormProblem p)
    {
        var fd = FiniteDifferenceOracle.Compute(p);
        var model = ErrorModel.For(p);
        var random = new Random(p.N + 7 * p.D);
        foreach (var g in Gradients.All)
        {
            int k = random.Next(fd.ValuesOf(g).Length);
            double bound = fd.BoundsOf(g)[k] + model.Allowance(g, k, ErrorModel.Float64Roundoff);
            if (bound == 0) continue; // an exactly-zero gradient (gamma = 0, dout = 0): any change is flagged, checked below
            // A 1% margin must be representable (several ulps of the moved value), or "just past" is the same double as "on it".
            double far = Math.Abs(fd.ValuesOf(g)[k]) + bound;
            if (0.01 * bound < 4 * (Math.BitIncrement(far) - far)) continue;
            bool inside = GradientChecker.CompareElements(fd.Values.Moved(g, k, 0.99 * bound), fd, model, ErrorModel.Float64Roundoff).All(v => v.Pass);
            var outside = GradientChecker.CompareElements(fd.Values.Moved(g, k, 1.01 * bound), fd, model, ErrorModel.Float64Roundoff);
            if (!inside || outside.Single(v => v.Gradient == g).Pass || outside.Where(v => v.Gradient != g).Any(v => !v.Pass)) return false;
            var worst = outside.Single(v => v.Gradient == g).Worst;
            if (worst.Row * (g == GradientName.Dx ? p.D : 1) + worst.Col != k) return false;
        }
        return true;
    }

    [Fact]
    public void With_gamma_zero_dx_is_exactly_zero_and_a_millionth_of_invStd_dout_is_flagged()
    {
        // gamma = 0: L does not depend on x, the exact dx is 0, and its natural unit |gamma|·invStd·max|dout| is 0 too.
        // A backward that forgot gamma would return about invStd·dout; a millionth of that must already be flagged.
        var p = new BatchNormProblem(3, 1, [1, 2, 4], [0], [1], 1e-5, [1, -2, 3]);
        var fd = FiniteDifferenceOracle.Compute(p);
        Assert.All(fd.Values.Dx, v => Assert.Equal(0, v));
        var model = ErrorModel.For(p);
        double invStdDout = model.InvStd[0] * 3;
        var moved = GradientChecker.CompareElements(fd.Values.Moved(GradientName.Dx, 1, 1e-6 * invStdDout), fd, model, ErrorModel.Float64Roundoff);
        var dx = moved.Single(v => v.Gradient == GradientName.Dx);
        Assert.False(dx.Pass);
        Assert.Equal(double.PositiveInfinity, dx.Worst.Error);
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void No_false_alarm_when_dout_is_constant_per_column_so_dx_is_zero(string id) =>
        AssertNoFalseAlarm(id, new GeneratorRange(ConstantDoutChance: 1));

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void No_false_alarm_on_zero_variance_columns(string id) =>
        AssertNoFalseAlarm(id, new GeneratorRange(ZeroVarianceChance: 1));

    /// <summary>Implementation <paramref name="id"/> passes the checker on the scheduled shapes and on 100 random problems from <paramref name="range"/>.</summary>
    private static void AssertNoFalseAlarm(string id, GeneratorRange range, [CallerMemberName] string test = "")
    {
        var impl = BuiltIn.Implementations.Get(id);
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, 100, Properties.Source(range), test: test);
        Assert.True(falsified is null, falsified?.Message);
    }

    [Theory]
    [MemberData(nameof(Ids.All), MemberType = typeof(Ids))]
    public void Large_shapes_are_checked_by_the_closed_form_and_directional_derivatives_with_the_declared_verdict(string id)
    {
        // The only flaw that cannot show on a large shape: it lives at N = 1 (BackwardPropertyTests catches it there).
        if (id == "mutant-one-sample-direct") return;
        var impl = BuiltIn.Implementations.Get(id);
        var result = GradientChecker.Check(impl, LargeProblem, new CheckOptions(ProbesPerGradient: 3));
        // Too large for finite differences: element by element against the checker's closed form, and probed by the
        // directional derivatives. The check and its element-wise comparison alone reach the declared verdict; the probes
        // never flag a correct implementation (their power on flawed ones: the next test).
        Assert.Equal("closed form", result.Oracle);
        Assert.Equal(9, result.Probes.Count);
        Assert.Equal(impl.Info.Declared == Verdict.Correct, result.Pass);
        Assert.Equal(impl.Info.Declared == Verdict.Correct, result.Gradients.All(g => g.Pass));
        if (impl.Info.Declared == Verdict.Correct) Assert.True(result.Probes.All(probe => probe.Pass));
    }

    [Fact]
    public void Directional_derivatives_alone_catch_nearly_every_flaw_on_a_large_shape()
    {
        // A probe compares one inner product over all 2049×97 elements against Σ|v|·allowance; at N = 2049 the allowance
        // of a column 10⁴ spreads from 0 is ~1e-9 of its unit per element (√N·κ·u, ErrorModel), so an error confined to one
        // column of 97 or of 1e-7 of the scale can hide under it: those the element-wise comparison catches (above).
        // Not the spatial flaws: on a 2-D problem (H = W = 1) their grouping is the right one (SpatialTests checks them).
        var flawed = BuiltIn.Implementations.All.Where(i => i.Info.Declared == Verdict.Flawed && i is not ISpatialFlaw && i.Info.Id != "mutant-one-sample-direct").ToList();
        var missed = flawed.Where(i => GradientChecker.Check(i, LargeProblem, new CheckOptions(ProbesPerGradient: 3)).Probes.All(p => p.Pass)).Select(i => i.Info.Id).ToList();
        output.WriteLine($"probes alone miss {missed.Count} of {flawed.Count}: {string.Join(", ", missed)}");
        Assert.True(missed.Count <= flawed.Count / 10, $"probes alone miss {missed.Count} of {flawed.Count}: {string.Join(", ", missed)}");
    }

    /// <summary>One past the boundaries kernels use (2049 = 32·64 + 1 rows, 97 = 12·8 + 1 columns), so a dropped partial block or a wrong vector tail shows too.</summary>
    private static BatchNormProblem LargeProblem { get; } = ProblemGenerator.Generate(new Random(42), 2049, 97, new GeneratorRange(MinEps: 1e-3));
}
