using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance-path term is added instead of subtracted (+xhat·Σ(dout·xhat)).
/// Expected diagnosis: dx SignFlipped.
/// </summary>
public sealed class MutantSignVariance() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-sign-variance", "this project: mutant of alt-simplified", "dx adds the variance-path term instead of subtracting it", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.SignFlipped;

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
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] + xhat[k] * dgamma[j]); // mutation: - xhat[k] * dgamma[j] became +
            }
    }
}
