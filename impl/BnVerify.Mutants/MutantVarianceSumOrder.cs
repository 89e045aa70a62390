using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance path is read as Σdout·xhat, i.e. xhat·Σdout, where xhat·Σ(dout·xhat) belongs (the seed 002 slip).
/// Expected diagnosis: dx VarianceCoefficientUsesSumG.
/// </summary>
public sealed class MutantVarianceSumOrder() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-variance-sum-order", "this project: mutant of alt-simplified", "dx's variance path uses xhat·Σdout where xhat·Σ(dout·xhat) belongs", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.VarianceCoefficientUsesSumG;

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
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dbeta[j]); // mutation: dgamma[j] became dbeta[j] in the variance path
            }
    }
}
