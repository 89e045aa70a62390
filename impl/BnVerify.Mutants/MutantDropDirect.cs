using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the direct term N·dout is dropped from (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)).
/// Expected diagnosis: dx DirectTermMissing.
/// </summary>
public sealed class MutantDropDirect() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-drop-direct", "this project: mutant of alt-simplified", "dx lacks the direct term gamma·invStd·dout", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.DirectTermMissing;

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
                dx[k] = gamma[j] * invStd[j] / N * (-dbeta[j] - xhat[k] * dgamma[j]); // mutation: N * dout[k] dropped
            }
    }
}
