using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dbeta: sums dout over every element (np.sum without axis=0) instead of over the samples of each column.
/// Expected diagnosis: dbeta WrongAxis.
/// </summary>
public sealed class MutantDbetaWrongAxis() : ReturnedSumsMutant("mutant-dbeta-wrong-axis", "dbeta sums over both axes instead of axis 0", GradientName.Dbeta, FindingKind.WrongAxis)
{
    /// <inheritdoc />
    protected override void Replant(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dgamma, Span<double> dbeta)
    {
        double total = 0;
        for (int j = 0; j < cache.D; j++) total += dbeta[j];
        dbeta.Fill(total); // mutation: sum over both axes
    }
}
