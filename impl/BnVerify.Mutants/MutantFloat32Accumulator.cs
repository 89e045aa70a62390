using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a precision bug. Planted in dbeta (and through the sums in dgamma and dx):
/// the float64 implementation accumulates its column sums Σdout and Σdout·xhat in a float32 accumulator, so each sum
/// carries float32 rounding (~6e-8 relative per addition) that grows with N.
/// Expected diagnosis: dbeta Precision.
/// </summary>
public sealed class MutantFloat32Accumulator() : PlantedMutant(
    "mutant-f32-accumulator", "the column sums are accumulated in float32", GradientName.Dbeta, FindingKind.Precision, "precision")
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var sumF = new float[D];
        var sumXF = new float[D];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                sumF[j] += (float)dout[k]; // mutation: a float32 accumulator
                sumXF[j] += (float)(dout[k] * xhat[k]);
            }
        for (int j = 0; j < D; j++)
        {
            dbeta[j] = sumF[j];
            dgamma[j] = sumXF[j];
        }
        AltSimplified.Dx(dout, xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
    }
}
