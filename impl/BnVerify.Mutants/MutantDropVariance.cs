using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance-path term −xhat·Σ(dout·xhat) is dropped.
/// Expected diagnosis: dx VarianceTermMissing.
/// </summary>
public sealed class MutantDropVariance() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-drop-variance", "this project: mutant of alt-simplified", "dx lacks the variance-path term", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.VarianceTermMissing;

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
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j]); // mutation: - xhat[k] * dgamma[j] dropped
            }
    }
}
