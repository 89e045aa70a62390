using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the mean-path term −Σdout is dropped.
/// Expected diagnosis: dx MeanPathMissing.
/// </summary>
public sealed class MutantDropMean() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-drop-mean", "this project: mutant of alt-simplified", "dx lacks the mean-path term", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.MeanPathMissing;

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
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - xhat[k] * dgamma[j]); // mutation: - dbeta[j] dropped
            }
    }
}
