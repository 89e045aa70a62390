using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// The derivation doctor's own random cases, deterministic from a seed, drawn so the three dx terms can be told apart:
/// N 6..14 and D 2..4 (so mean(g), mean(g·xhat) and the cross-column structure exist), |gamma| in [0.3, 0.7] or [1.5, 3]
/// (away from 0 and ±1, so a missing or squared gamma shows), eps in [0.05, 0.5] (far from 1e-8 and 1e-5 and not small
/// next to var ≈ 0.5..4, so an eps mismatch moves invStd by at least ~0.5%), and dout = μ + ρ·xhat + noise with
/// |μ| in [1, 1.5] and |ρ| in [2, 3] (so mean(g) and mean(g·xhat) are both far from 0 and from each other).
/// Every third case puts the columns at an offset of 150..300 spreads (κ ≈ 300), where variance formulas that
/// cancel in low precision go wrong.
/// </summary>
public static class DoctorProblems
{
    /// <summary>Case <paramref name="index"/> of the doctor's sequence for <paramref name="seed"/>.</summary>
    public static BatchNormProblem Make(int seed, int index)
    {
        var random = new Random(unchecked(seed * 7919 + index * 104729 + 17));
        int n = random.Next(6, 15);
        int d = random.Next(2, 5);
        double eps = 0.05 * Math.Pow(10, random.NextDouble());
        bool offsetCase = index % 3 == 2;
        var x = new double[n * d];
        var gamma = new double[d];
        var beta = new double[d];
        for (int j = 0; j < d; j++)
        {
            double spread = 0.7 + 1.3 * random.NextDouble();
            double offset = offsetCase ? Signed(random) * (150 + 150 * random.NextDouble()) * spread : 6 * random.NextDouble() - 3;
            for (int i = 0; i < n; i++) x[i * d + j] = offset + spread * GradientChecker.Gaussian(random);
            double magnitude = random.Next(2) == 0 ? 0.3 + 0.4 * random.NextDouble() : 1.5 + 1.5 * random.NextDouble();
            gamma[j] = Signed(random) * magnitude;
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
