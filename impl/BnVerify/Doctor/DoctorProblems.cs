using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// The derivation doctor's own random cases, deterministic from a seed, drawn so the three dx terms can be told apart:
/// N 6..14 and D 2..4 (so mean(g), mean(g·xhat) and the cross-column structure exist), |gamma| in [0.3, 0.7] or [1.5, 3]
/// (away from 0 and ±1, so a missing or squared gamma shows), eps in [0.05, 0.5] (far from 1e-8 and 1e-5 and not small
/// next to var ≈ 0.5..4, so an eps mismatch moves invStd by at least ~0.5%), and dout = μ + ρ·xhat + noise with
/// |μ| in [1, 1.5] and |ρ| in [2, 3] (so mean(g) and mean(g·xhat) are both far from 0 and from each other).
/// Every third case puts the columns at an offset of 150..300 spreads (κ ≈ 300), where variance formulas that
/// cancel in low precision go wrong. <see cref="Shaped"/> draws the same kind of values (gamma positive) at a given shape
/// and offset, for the doctor's controlled re-runs (shape sweeps, growth with N and with the offset).
/// </summary>
public static class DoctorProblems
{
    /// <summary>Case <paramref name="index"/> of the doctor's sequence for <paramref name="seed"/>.</summary>
    public static BatchNormProblem Make(int seed, int index)
    {
        var random = new Random(unchecked(seed * 7919 + index * 104729 + 17));
        int n = random.Next(6, 15);
        int d = random.Next(2, 5);
        return Build(random, n, d, index % 3 == 2 ? null : 0, positiveGamma: false);
    }

    /// <summary>
    /// A doctor-style problem of shape <paramref name="n"/>×<paramref name="d"/> (values as in <see cref="Make"/>), its
    /// columns at an offset of <paramref name="offsetSpreads"/> spreads (signs random); deterministic in
    /// (<paramref name="seed"/>, <paramref name="index"/>, shape), the offset only shifting the columns.
    /// </summary>
    public static BatchNormProblem Shaped(int seed, int index, int n, int d, double offsetSpreads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        // The offset is not part of the seed: the same (seed, index, shape) at two offsets differs only by the shift,
        // so a growth-with-offset re-run is controlled.
        var random = new Random(unchecked(seed * 7919 + index * 104729 + n * 31 + d * 1009 + 23));
        return Build(random, n, d, Math.Abs(offsetSpreads), positiveGamma: true);
    }

    /// <summary>
    /// Values as in <see cref="Make"/>: <paramref name="offset"/> spreads (null: 150..300, the "large offset" case; 0: within
    /// ±3); gamma of both signs, or positive only (<paramref name="positiveGamma"/>: the re-runs that vary a shape or an
    /// offset, so a failure confined to negative gamma does not show up there as a pattern of shapes).
    /// </summary>
    private static BatchNormProblem Build(Random random, int n, int d, double? offset, bool positiveGamma)
    {
        double eps = 0.05 * Math.Pow(10, random.NextDouble());
        var x = new double[n * d];
        var gamma = new double[d];
        var beta = new double[d];
        for (int j = 0; j < d; j++)
        {
            double spread = 0.7 + 1.3 * random.NextDouble();
            double shift = offset switch
            {
                null => Signed(random) * (150 + 150 * random.NextDouble()) * spread,
                0 => 6 * random.NextDouble() - 3,
                double o => Signed(random) * o * spread,
            };
            for (int i = 0; i < n; i++) x[i * d + j] = shift + spread * GradientChecker.Gaussian(random);
            double magnitude = random.Next(2) == 0 ? 0.3 + 0.4 * random.NextDouble() : 1.5 + 1.5 * random.NextDouble();
            double sign = Signed(random);
            gamma[j] = positiveGamma ? magnitude : sign * magnitude;
            beta[j] = 2 * random.NextDouble() - 1;
        }
        var (_, cache) = BatchNorm.Forward<double>(n, d, x, gamma, beta, eps);
        var dout = new double[n * d];
        for (int j = 0; j < d; j++)
        {
            double mu = Signed(random) * (1 + 0.5 * random.NextDouble());
            double rho = Signed(random) * (2 + random.NextDouble());
            for (int i = 0; i < n; i++)
                dout[i * d + j] = mu + rho * cache.Xhat[i * d + j] + 0.5 * GradientChecker.Gaussian(random);
        }
        return new BatchNormProblem(n, d, x, gamma, beta, eps, dout);
    }

    private static double Signed(Random random) => random.Next(2) == 0 ? -1 : 1;
}
