using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with an edge-shape bug. Planted in dx, at N = 1 only: a "single sample has no
/// batch statistics" shortcut returns dx = gamma·invStd·dout, where the exact dx is 0 (with one sample, x − mean = 0
/// whatever x is). Every N ≥ 2 is right.
/// Expected diagnosis: dx Localized (only at N = 1).
/// </summary>
public sealed class MutantOneSampleDirect() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-one-sample-direct", "this project: mutant of alt-simplified (edge shape)", "at N = 1 dx is gamma·invStd·dout instead of 0", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.Localized;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        if (cache.N == 1)
        {
            // mutation: a shortcut for one sample that skips the cross-sample terms (which cancel the direct term exactly).
            for (int j = 0; j < cache.D; j++) dx[j] = cache.Gamma[j] * cache.InvStd[j] * dout[j];
            return;
        }
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
    }
}
