using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a gamma-sign bug. Planted in dx: the prefactor uses |gamma| where gamma
/// belongs, so dx has the wrong sign in exactly the columns where gamma &lt; 0 and is right elsewhere.
/// Expected diagnosis: dx GammaSign.
/// </summary>
public sealed class MutantAbsGamma() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-abs-gamma", "this project: mutant of alt-simplified (gamma sign)", "dx uses |gamma| where gamma belongs", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.GammaSign;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var absGamma = new double[cache.D];
        for (int j = 0; j < cache.D; j++) absGamma[j] = Math.Abs(cache.Gamma[j]); // mutation: |gamma| where gamma belongs
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, absGamma, cache.InvStd, dbeta, dgamma, dx);
    }
}
