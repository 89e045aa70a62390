using BnVerify.Checking;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The finite-difference oracle's public helpers, which the doctor uses to re-measure a mismatch at other steps
/// (<see cref="FiniteDifferenceOracle.StepOf"/>, <see cref="FiniteDifferenceOracle.CentralDifference"/>), and the
/// directional oracle's argument check. Written for the <c>oracles-and-shrinker</c> mutation scope, where no test reached them.
/// </summary>
public sealed class FiniteDifferenceOracleTests
{
    /// <summary>3×2, columns with different spreads, gamma and beta of different signs.</summary>
    private static readonly BatchNormProblem P = new(3, 2, [1.5, -20, -0.25, 35, 2.0, 4], [-3, 0.5], [2, 0.25], 1e-3, [0.7, -1.1, 0.2, 0.4, -0.9, 1.3]);

    [Fact]
    public void The_central_difference_at_StepOf_is_exactly_the_value_Compute_reports_for_every_element()
    {
        var reference = FiniteDifferenceOracle.Compute(P);
        foreach (var g in Gradients.All)
        {
            var values = reference.ValuesOf(g);
            for (int k = 0; k < values.Length; k++)
                Assert.Equal(values[k], FiniteDifferenceOracle.CentralDifference(P, g, k, FiniteDifferenceOracle.StepOf(P, g, k)));
        }
    }

    [Fact]
    public void The_oracles_name_themselves_and_refuse_null_naming_the_argument()
    {
        // Found by the oracles-and-shrinker scope's run of 2026-12-03: without these guards each call fails later with a
        // NullReferenceException that names nothing, and the reference's name is what a failure message calls the oracle.
        Assert.Equal("finite differences", FiniteDifferenceOracle.Compute(P).Oracle);
        Assert.Equal("p", Assert.Throws<ArgumentNullException>(() => DirectionalOracle.DirectionalDerivative(null!, [], [], [])).ParamName);
        Assert.Equal("impl", Assert.Throws<ArgumentNullException>(() => GradientChecker.Judge(null!, P, [])).ParamName);
        var reference = FiniteDifferenceOracle.Compute(P);
        Assert.Equal("actual", Assert.Throws<ArgumentNullException>(() =>
            GradientChecker.CompareElements(null!, reference, ErrorModel.For(P), ErrorModel.Float64Roundoff)).ParamName);
        Assert.Equal("random", Assert.Throws<ArgumentNullException>(() => GradientChecker.Gaussian(null!)).ParamName);
    }

    [Fact]
    public void The_step_of_gamma_and_beta_is_the_larger_of_1_and_gamma_plus_beta_in_magnitude()
    {
        foreach (var g in new[] { GradientName.Dgamma, GradientName.Dbeta })
        {
            Assert.Equal(5, FiniteDifferenceOracle.StepOf(P, g, 0)); // |−3| + |2|
            Assert.Equal(1, FiniteDifferenceOracle.StepOf(P, g, 1)); // |0.5| + |0.25| < 1
        }
    }

    [Fact]
    public void The_step_of_x_is_the_columns_spread_times_the_cube_root_of_3u_times_1_plus_its_condition()
    {
        // Column 0 of P: x = 1.5, −0.25, 2: mean 13/12, var = 0.9097…; κ = max|x|·invStd.
        var model = ErrorModel.For(P);
        for (int j = 0; j < 2; j++)
        {
            double mean = Enumerable.Range(0, 3).Average(i => P.X[i * 2 + j]);
            double s = Math.Sqrt(Enumerable.Range(0, 3).Average(i => Math.Pow(P.X[i * 2 + j] - mean, 2)) + P.Eps);
            double kappa = Enumerable.Range(0, 3).Max(i => Math.Abs(P.X[i * 2 + j])) / s;
            Assert.Equal(kappa, model.Kappa[j], 12);
            double expected = s * Math.Cbrt(3 * ErrorModel.Float64Roundoff * (1 + kappa));
            for (int i = 0; i < 3; i++)
                Assert.Equal(1, FiniteDifferenceOracle.StepOf(P, GradientName.Dx, i * 2 + j) / expected, 12); // every row of column j
        }
        // The wide column gets the larger step (about 24 times, its spread; its κ is smaller).
        Assert.True(FiniteDifferenceOracle.StepOf(P, GradientName.Dx, 1) > 10 * FiniteDifferenceOracle.StepOf(P, GradientName.Dx, 0));
    }

    [Fact]
    public void Each_bound_is_the_gap_between_steps_h_and_2h_plus_the_documented_rounding_of_L_over_h()
    {
        // The class comment's bound, recomputed here from its formula for every element: |D(h) − D(2h)| + R/h with
        // R = 8u·Σ_i |dout_i|·(|gamma|·(|xhat_i| + N + κ) + |beta|) over the element's column. D(h) and D(2h) are the
        // oracle's own public central differences, so the gap is the same double; R is summed in the same order, so the
        // two agree to a few roundings of R/h (1e-12 of it is thousands of ulps). Pins the terms a multiple-of-the-
        // allowance test cannot see: which row's xhat enters R (|xhat| differs by about 1 between rows here, N + κ ≈ 5),
        // and the second step being 2h (at h = 5 for column 0's gamma and beta, 2/h would be another step).
        var model = ErrorModel.For(P);
        var reference = FiniteDifferenceOracle.Compute(P);
        int n = P.N, d = P.D;
        foreach (var g in Gradients.All)
        {
            var bounds = reference.BoundsOf(g);
            for (int k = 0; k < bounds.Length; k++)
            {
                int j = g == GradientName.Dx ? k % d : k;
                double rounding = 0;
                for (int i = 0; i < n; i++)
                    rounding += Math.Abs(P.Dout[i * d + j]) * (Math.Abs(P.Gamma[j]) * (Math.Abs(model.Xhat[i * d + j]) + n + model.Kappa[j]) + Math.Abs(P.Beta[j]));
                rounding *= 8 * ErrorModel.Float64Roundoff;
                double h = FiniteDifferenceOracle.StepOf(P, g, k);
                double gap = Math.Abs(FiniteDifferenceOracle.CentralDifference(P, g, k, h) - FiniteDifferenceOracle.CentralDifference(P, g, k, 2 * h));
                double expected = gap + rounding / h;
                Assert.True(Math.Abs(bounds[k] - expected) <= 1e-12 * rounding / h,
                    $"{g}[{k}]: bound {bounds[k]:R}, the formula gives {expected:R} (gap {gap:R}, R/h {rounding / h:R})");
            }
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1e-3)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_central_difference_refuses_a_step_that_is_not_a_finite_number_above_0(double h)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FiniteDifferenceOracle.CentralDifference(P, GradientName.Dx, 0, h));
        Assert.Equal("h", e.ParamName);
        Assert.Contains("the step must be a finite number > 0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GradientName.Dx, -1)] // column −1
    [InlineData(GradientName.Dx, -2)] // row −1, column 0
    [InlineData(GradientName.Dx, 6)] // row 3 of 3
    [InlineData(GradientName.Dgamma, 2)] // column 2 of 2
    [InlineData(GradientName.Dgamma, -1)]
    [InlineData(GradientName.Dbeta, 2)]
    public void A_central_difference_and_its_step_refuse_an_element_the_problem_does_not_have(GradientName g, int index)
    {
        foreach (Action call in new Action[] { () => FiniteDifferenceOracle.CentralDifference(P, g, index, 0.1), () => FiniteDifferenceOracle.StepOf(P, g, index) })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal("index", e.ParamName);
            Assert.Contains("no such element", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_central_difference_of_an_element_at_each_edge_is_the_derivative_within_its_truncation()
    {
        // The first and last element of dx and of dgamma, dbeta: with a small step, close to the closed form.
        var exact = ClosedForm.Gradients(P);
        foreach (var (g, k) in new[] { (GradientName.Dx, 0), (GradientName.Dx, 5), (GradientName.Dx, 1), (GradientName.Dgamma, 1), (GradientName.Dbeta, 0) })
        {
            double cd = FiniteDifferenceOracle.CentralDifference(P, g, k, g == GradientName.Dx ? 1e-5 : 0.5); // L is linear in gamma and beta
            double want = exact.Of(g)[k];
            Assert.True(Math.Abs(cd - want) <= 1e-6 * (1 + Math.Abs(want)), $"{g}[{k}]: {cd} against {want}");
        }
    }

    [Fact]
    public void Null_problems_are_refused()
    {
        Assert.Equal("p", Assert.Throws<ArgumentNullException>(() => FiniteDifferenceOracle.CentralDifference(null!, GradientName.Dx, 0, 0.1)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentNullException>(() => FiniteDifferenceOracle.StepOf(null!, GradientName.Dx, 0)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentNullException>(() => FiniteDifferenceOracle.Compute(null!)).ParamName);
    }

    [Theory]
    [InlineData(5, 2, 2)]
    [InlineData(6, 1, 2)]
    [InlineData(6, 2, 1)]
    [InlineData(6, 3, 2)]
    [InlineData(6, 2, 3)]
    public void A_direction_of_the_wrong_shape_is_refused(int vx, int vgamma, int vbeta)
    {
        var e = Assert.Throws<ArgumentException>(() => DirectionalOracle.DirectionalDerivative(P, new double[vx], new double[vgamma], new double[vbeta]));
        Assert.Contains("the direction must have the problem's shape", e.Message, StringComparison.Ordinal);
    }
}
