using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verification;
using BnVerify.Verify.Support;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The oracles' own details that the mutation run of the checker (verify/mutation, scope <c>allowance</c>) found
/// unpinned: the closed form the tolerance pins trust is itself right, the directional probes bound the rounding of their
/// inner products, an exact zero is judged exactly, each gradient gets the probes asked for, and bad arguments are refused
/// by name.
/// </summary>
public sealed class OracleTests
{
    [Fact]
    public void The_closed_form_agrees_with_PyTorch_on_every_golden_case()
    {
        // ToleranceTests take ClosedForm.Gradients as the exact gradients and the closed-form oracle as a reference; PyTorch's
        // stored float64 gradients are an independent check of both, element by element within float64 rounding.
        foreach (var golden in GoldenCases.Torch)
        {
            var p = golden.Problem;
            var model = ErrorModel.For(p);
            var verdicts = GradientChecker.CompareElements(ClosedForm.Gradients(p), Reference.Stored("torch", golden.Expected!, model), model, ErrorModel.Float64Roundoff);
            Assert.True(verdicts.All(v => v.Pass), $"{golden.Name}: the closed form disagrees with PyTorch: " +
                string.Join("; ", verdicts.Where(v => !v.Pass).Select(v => $"{v.Worst.Where} expected {v.Worst.Expected:G17}, closed form {v.Worst.Actual:G17}")));
        }
    }

    [Fact]
    public void The_channel_loss_of_finite_differences_is_the_forward_output_reduced_against_dout_to_the_bit()
    {
        // Finite differences evaluate L = Σ dout·y with BatchNorm.ChannelLoss, which repeats the forward's operations without
        // allocating; any other order or operation would move the loss by rounding and the oracle's bound with it.
        var random = new Random(20261202);
        foreach (int n in new[] { 1, 2, 3, 7, 64, 257 })
        {
            var p = ProblemGenerator.Generate(random, n, 1, new GeneratorRange(ZeroVarianceChance: 0.2));
            var (output, _) = BatchNorm.Forward<double>(n, 1, p.X, p.Gamma, p.Beta, p.Eps);
            double expected = 0;
            for (int i = 0; i < n; i++) expected += p.Dout[i] * output[i];
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(BatchNorm.ChannelLoss(p.X, p.Gamma[0], p.Beta[0], p.Eps, p.Dout)));
        }
        Assert.Throws<ArgumentException>(() => BatchNorm.ChannelLoss([1.0, 2.0], 1, 0, 1e-5, [1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.ChannelLoss([1.0], 1, 0, 0, [1.0]));
    }

    [Theory]
    [InlineData(2, 1025)]
    [InlineData(3, 4096)]
    [InlineData(9, 1023)]
    public void Directional_probes_allow_for_the_rounding_of_their_own_inner_products(int n, int d)
    {
        // With the allowance scaled to nothing, a probe's bound is the rounding of ⟨v, backward⟩ and ⟨dout, J·v⟩ over N·D
        // terms (4·u·length·Σ|v·a|): exact gradients still pass, so that term is neither missing nor shrunk.
        var p = ProblemGenerator.Generate(new Random(n * 7919 + d), n, d);
        var exact = ClosedForm.Gradients(p);
        var judgement = Oracles.DirectionalDerivatives(4, 99).Prepare(p, ErrorModel.For(p, 1e-12)).Judge(exact, ErrorModel.Float64Roundoff);
        Assert.All(judgement.Probes, v => Assert.True(v.Pass && v.Bound > 0,
            $"{Gradients.NameOf(v.Gradient)} probe on {n}×{d}: difference {v.Difference:G3}, bound {v.Bound:G3}"));
    }

    [Fact]
    public void Zero_dout_gives_gradients_of_exactly_zero_that_pass_against_bounds_of_exactly_zero()
    {
        // dout = 0: every unit and allowance is 0, so the bound is 0 and exactly 0 must pass (≤, not <) — and anything else fail.
        var p = ProblemGenerator.Generate(new Random(5), 6, 3);
        p = p.With(dout: new double[p.N * p.D]);
        var zero = new Gradients(p.N, p.D, new double[p.N * p.D], new double[p.D], new double[p.D]);
        foreach (var oracle in new[] { Oracles.FiniteDifferences, Oracles.ClosedFormValues, Oracles.DirectionalDerivatives() })
        {
            var judgement = oracle.Prepare(p, ErrorModel.For(p)).Judge(zero, ErrorModel.Float64Roundoff);
            Assert.All(judgement.Elements, v => Assert.True(v.Pass, $"{oracle.Name}: {v.Worst.Where} of exactly 0 failed"));
            Assert.All(judgement.Probes, v => Assert.True(v.Pass && v.Bound == 0, $"{oracle.Name}: probe of exactly 0 failed (bound {v.Bound:G3})"));
        }
        var off = new Gradients(p.N, p.D, new double[p.N * p.D], new double[p.D], [1e-300, 0, 0]);
        Assert.False(GradientChecker.CompareElements(off, Reference.Stored("zero", zero, ErrorModel.For(p)), ErrorModel.For(p), ErrorModel.Float64Roundoff).All(v => v.Pass));
    }

    [Fact]
    public void Errors_are_reported_in_each_gradients_natural_unit()
    {
        // The pass/fail decision is in absolute terms; the reported error (check's "worst dx" columns, MaxError) is the
        // difference over the unit: a move of a quarter unit reads 0.25, and a nonzero difference where the unit is 0 reads ∞.
        var p = ProblemGenerator.Generate(new Random(16), 9, 3);
        var model = ErrorModel.For(p);
        var exact = ClosedForm.Gradients(p);
        var reference = Reference.Stored("exact", exact, model);
        foreach (var g in Gradients.All)
        {
            var moved = exact.Moved(g, 1, 0.25 * model.Unit(g, 1));
            var verdict = GradientChecker.CompareElements(moved, reference, model, ErrorModel.Float64Roundoff).Single(v => v.Gradient == g);
            Assert.Equal(0.25, verdict.MaxError, 1e-9);
            Assert.Equal(0.25, verdict.Worst.Error, 1e-9);
        }
        var still = p.With(dout: new double[p.N * p.D]);
        Assert.Equal(double.PositiveInfinity, ErrorModel.For(still).InUnits(GradientName.Dbeta, 0, 1e-300));
        Assert.Equal(0, ErrorModel.For(still).InUnits(GradientName.Dbeta, 0, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Each_gradient_gets_exactly_the_probes_asked_for(int probes)
    {
        var p = ProblemGenerator.Generate(new Random(11), 7, 3);
        var result = GradientChecker.Check(new Implementations.AltSimplified(), p, new CheckOptions(ProbesPerGradient: probes));
        foreach (var g in Gradients.All) Assert.Equal(probes, result.Probes.Count(v => v.Gradient == g));
        Assert.Equal("finite differences", result.Oracle);
    }

    [Fact]
    public void Oracles_are_named_as_reports_print_them()
    {
        var p = ProblemGenerator.Generate(new Random(12), 4, 2);
        var model = ErrorModel.For(p);
        Assert.Equal("directional derivatives", Oracles.DirectionalDerivatives().Name);
        Assert.Equal("directional derivatives", Oracles.DirectionalDerivatives().Prepare(p, model).Name);
        Assert.Equal("finite differences", Oracles.FiniteDifferences.Name);
        Assert.Equal("closed form", Oracles.ClosedFormValues.Name);
        Assert.Equal("closed form", Oracles.ClosedFormValues.Prepare(p, model).Name);
        Assert.Equal("golden", Oracles.Stored("golden", ClosedForm.Gradients(p)).Name);
    }

    [Theory]
    [InlineData(5, 2, "stored gradients are 5×2; the problem is 4×2")]
    [InlineData(4, 3, "stored gradients are 4×3; the problem is 4×2")]
    public void Stored_gradients_of_another_shape_are_refused_naming_both_shapes(int n, int d, string message)
    {
        var p = ProblemGenerator.Generate(new Random(13), 4, 2);
        var stored = new Gradients(n, d, new double[n * d], new double[d], new double[d]);
        var e = Assert.Throws<ArgumentException>(() => Oracles.Stored("golden", stored).Prepare(p, ErrorModel.For(p)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Null_arguments_are_refused_by_name()
    {
        var p = ProblemGenerator.Generate(new Random(14), 3, 2);
        var g = ClosedForm.Gradients(p);
        var model = ErrorModel.For(p);
        Assert.Equal("expected", Assert.Throws<ArgumentNullException>(() => Oracles.Stored("golden", null!)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentNullException>(() => ClosedForm.Gradients(null!)).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentNullException>(() => Reference.Stored("golden", null!, model)).ParamName);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => Reference.Stored("golden", g, null!)).ParamName);
        Assert.Equal("problem", Assert.Throws<ArgumentNullException>(() => ErrorModel.For(null!)).ParamName);
        Assert.Equal("problem", Assert.Throws<ArgumentNullException>(() => ErrorModel.For(null!, 2)).ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_looser_or_stricter_checker_needs_a_finite_scale_above_zero(double scale)
    {
        var p = ProblemGenerator.Generate(new Random(15), 3, 2);
        Assert.Contains("allowance scale", Assert.Throws<ArgumentOutOfRangeException>(() => ErrorModel.For(p, scale)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientChecker.Check(new Implementations.AltSimplified(), p, new CheckOptions { AllowanceScale = scale }));
        var options = new VerifierOptions { Check = new CheckOptions { AllowanceScale = scale } };
        Assert.Contains("allowance scale", Assert.Throws<ArgumentOutOfRangeException>(options.Validate).Message);
    }
}
