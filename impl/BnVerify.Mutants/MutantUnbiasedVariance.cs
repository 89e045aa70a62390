using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx and dgamma: the statistics are recomputed with the unbiased variance Σ(x − mean)²/(N − 1) where the forward's biased one (divisor N) belongs; invStd and xhat follow it.
/// Expected diagnosis: dx UnbiasedVariance.
/// </summary>
public sealed class MutantUnbiasedVariance() : VarianceMutant("mutant-unbiased-variance", "invStd and xhat use the unbiased variance (N − 1) instead of the forward's (N)", FindingKind.UnbiasedVariance)
{
    /// <inheritdoc />
    protected override double[] InvStd(BatchNormCache<double> cache)
    {
        int N = cache.N, D = cache.D;
        var invStd = new double[D];
        for (int j = 0; j < D; j++) invStd[j] = 1.0 / Math.Sqrt(cache.Var[j] * N / Math.Max(N - 1, 1) + cache.Eps); // mutation: divisor N − 1 (kept ≥ 1 so N = 1 gives var = 0, not NaN)
        return invStd;
    }
}
