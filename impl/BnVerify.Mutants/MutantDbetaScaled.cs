using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dbeta: the mean of dout over the batch where the sum belongs (dbeta scaled by 1/N).
/// Expected diagnosis: dbeta DbetaScaled.
/// </summary>
public sealed class MutantDbetaScaled() : PlantedMutant("mutant-dbeta-scaled", "dbeta is Σdout/N instead of Σdout", GradientName.Dbeta, FindingKind.DbetaScaled)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, gamma, invStd, dbeta, dgamma, dx);
        for (int j = 0; j < D; j++) dbeta[j] /= N; // mutation: mean instead of sum
    }
}
