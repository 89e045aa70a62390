using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the whole dx is negated (the gradient of −L).
/// Expected diagnosis: dx SignFlipped.
/// </summary>
public sealed class MutantDxSign() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-dx-sign", "this project: mutant of alt-simplified", "dx has the wrong sign", Family.Mutant)), IPlantedFlaw
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
                dx[k] = -gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]); // mutation: leading minus
            }
    }
}
