using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: gamma is left out of the prefactor (dxhat taken as dout instead of dout·gamma).
/// Expected diagnosis: dx GammaMissing.
/// </summary>
public sealed class MutantGammaMissing() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-gamma-missing", "this project: mutant of alt-simplified", "dx lacks the factor gamma", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.GammaMissing;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);

        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dx[k] = invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]); // mutation: gamma[j] * dropped
            }
    }
}
