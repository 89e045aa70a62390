using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the mean path subtracts Σdout where mean(dout) belongs (the 1/N of the mean is lost: N·Σdout inside the bracket).
/// Expected diagnosis: dx TermScaled.
/// </summary>
public sealed class MutantMeanPathSum() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-mean-path-sum", "this project: mutant of alt-simplified", "dx's mean path is N times too large (Σdout where mean(dout) belongs)", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.TermScaled;

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
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - N * dbeta[j] - xhat[k] * dgamma[j]); // mutation: dbeta[j] became N * dbeta[j]
            }
    }
}
