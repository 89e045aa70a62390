using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a small-scale error. Planted in dx: every element is multiplied by
/// 1 + 1e-7 (an approximate constant, a float32 literal widened): far below any usual rtol, a million times the
/// float64 rounding the checker allows.
/// Expected diagnosis: dx WrongScale, with the factor printed as 1 + 1.0e-7.
/// </summary>
public sealed class MutantDxScaleTiny() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-dx-scale-1e-7", "this project: mutant of alt-simplified (small scale)", "dx is scaled by 1 + 1e-7", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.WrongScale;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
        for (int k = 0; k < dx.Length; k++) dx[k] *= 1 + 1e-7; // mutation
    }
}
