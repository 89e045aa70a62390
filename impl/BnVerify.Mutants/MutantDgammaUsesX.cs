using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dgamma: sums dout·x where dout·xhat belongs (dx keeps its own, right, Σ(dout·xhat)).
/// Expected diagnosis: dgamma DgammaUsesX.
/// </summary>
public sealed class MutantDgammaUsesX() : ReturnedSumsMutant("mutant-dgamma-uses-x", "dgamma sums dout·x instead of dout·xhat", GradientName.Dgamma, FindingKind.DgammaUsesX)
{
    /// <inheritdoc />
    protected override void Replant(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dgamma, Span<double> dbeta)
    {
        dgamma.Clear();
        for (int k = 0; k < cache.N * cache.D; k++) dgamma[k % cache.D] += dout[k] * cache.X[k]; // mutation: x where xhat belongs
    }
}
