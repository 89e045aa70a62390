using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx and dgamma: the variance is recomputed as E[x²] − E[x]² in float32 (right in exact arithmetic; at a large offset the two terms cancel and float32 keeps few digits); invStd and xhat follow it.
/// Expected diagnosis: dx VarianceCancellation.
/// </summary>
public sealed class MutantVarianceFloat32() : VarianceMutant("mutant-variance-float32", "var computed as E[x²] − E[x]² in float32: cancels at large offsets", FindingKind.VarianceCancellation)
{
    /// <inheritdoc />
    protected override double[] InvStd(BatchNormCache<double> cache)
    {
        int N = cache.N, D = cache.D;
        var meanF = new float[D];
        var meanSquareF = new float[D];
        for (int k = 0; k < N * D; k++)
        {
            float xk = (float)cache.X[k];
            meanF[k % D] += xk;
            meanSquareF[k % D] += xk * xk;
        }
        var invStd = new double[D];
        for (int j = 0; j < D; j++)
        {
            float varF = meanSquareF[j] / N - (meanF[j] / N) * (meanF[j] / N); // mutation: E[x²] − E[x]² in float32
            invStd[j] = 1.0 / Math.Sqrt(varF + cache.Eps);
        }
        return invStd;
    }
}
