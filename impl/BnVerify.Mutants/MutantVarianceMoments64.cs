using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a cancellation bug. Planted in dx (and dgamma, through xhat): the variance
/// is recomputed in float64 as E[x²] − E[x]², right in exact arithmetic, but at an offset of κ spreads the two moments
/// agree in all but ~16 − 2·log10(κ) digits, so the variance's relative error grows like κ²·u.
/// Expected diagnosis: dx VarianceCancellation.
/// </summary>
public sealed class MutantVarianceMoments64() : VarianceMutant(
    "mutant-variance-moments-f64", "var computed as E[x²] − E[x]² in float64: cancels at large offsets", FindingKind.VarianceCancellation, "cancellation")
{
    /// <inheritdoc />
    protected override double[] InvStd(BatchNormCache<double> cache)
    {
        int N = cache.N, D = cache.D;
        var sum = new double[D];
        var sumSquares = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            sum[k % D] += cache.X[k];
            sumSquares[k % D] += cache.X[k] * cache.X[k];
        }
        var invStd = new double[D];
        for (int j = 0; j < D; j++)
        {
            double mean = sum[j] / N;
            double var = sumSquares[j] / N - mean * mean; // mutation: E[x²] − E[x]² where Σ(x − mean)²/N belongs
            invStd[j] = 1.0 / Math.Sqrt(var + cache.Eps);
        }
        return invStd;
    }
}
