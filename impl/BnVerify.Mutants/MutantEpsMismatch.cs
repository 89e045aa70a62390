using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the prefactor's invStd is recomputed with eps = 1e-4 (hard-coded) instead of the forward's eps.
/// Expected diagnosis: dx EpsMismatch.
/// </summary>
public sealed class MutantEpsMismatch() : PlantedMutant("mutant-eps-mismatch", "dx's invStd uses eps = 1e-4 instead of the forward's eps", GradientName.Dx, FindingKind.EpsMismatch)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = new double[D];
        for (int j = 0; j < D; j++) invStd[j] = 1.0 / Math.Sqrt(cache.Var[j] + 1e-4); // mutation: 1e-4 where cache.Eps belongs

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, gamma, invStd, dbeta, dgamma, dx);
    }
}
