using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dbeta: sums dout over every element (np.sum without axis=0) instead of over the samples of each column.
/// Expected diagnosis: dbeta WrongAxis.
/// </summary>
public sealed class MutantDbetaWrongAxis() : PlantedMutant("mutant-dbeta-wrong-axis", "dbeta sums over both axes instead of axis 0", GradientName.Dbeta, FindingKind.WrongAxis)
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
        double total = 0;
        for (int j = 0; j < D; j++) total += dbeta[j];
        for (int j = 0; j < D; j++) dbeta[j] = total; // mutation: sum over both axes
    }
}
