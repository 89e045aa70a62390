using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dbeta: the mean of dout over the batch where the sum belongs (dbeta scaled by 1/N).
/// Expected diagnosis: dbeta DbetaScaled.
/// </summary>
public sealed class MutantDbetaScaled() : ReturnedSumsMutant("mutant-dbeta-scaled", "dbeta is Σdout/N instead of Σdout", GradientName.Dbeta, FindingKind.DbetaScaled)
{
    /// <inheritdoc />
    protected override void Replant(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dgamma, Span<double> dbeta)
    {
        for (int j = 0; j < cache.D; j++) dbeta[j] /= cache.N; // mutation: mean instead of sum
    }
}
