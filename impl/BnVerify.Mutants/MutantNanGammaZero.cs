using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a special-value bug. Planted in dx (and through it dgamma): xhat is
/// recovered from the scaled output as (gamma·xhat)/gamma instead of being read from the cache, which is xhat up to one
/// rounding wherever gamma ≠ 0 and 0/0 = NaN in every column where gamma = 0.
/// Expected diagnosis: dx NonFinite (only where gamma = 0).
/// </summary>
public sealed class MutantNanGammaZero() : PlantedMutant(
    "mutant-nan-gamma-zero", "xhat recovered as (gamma·xhat)/gamma: NaN where gamma = 0", GradientName.Dx, FindingKind.NonFinite, "special values")
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int D = cache.D;
        var xhat = new double[cache.N * D];
        for (int k = 0; k < xhat.Length; k++)
        {
            double scaled = cache.Gamma[k % D] * cache.Xhat[k];
            xhat[k] = scaled / cache.Gamma[k % D]; // mutation: 0/0 where gamma = 0
        }
        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
    }
}
