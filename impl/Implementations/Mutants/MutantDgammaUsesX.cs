using BnVerify.Doctor;

namespace BnVerify.Implementations.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dgamma: sums dout·x where dout·xhat belongs (dx keeps its own, right, Σ(dout·xhat)).
/// Expected diagnosis: dgamma DgammaUsesX.
/// </summary>
public sealed class MutantDgammaUsesX() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-dgamma-uses-x", "this project: mutant of alt-simplified", "dgamma sums dout·x instead of dout·xhat", Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dgamma;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.DgammaUsesX;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;
        var sumDoutXhat = new double[D];

        dbeta.Clear();
        dgamma.Clear();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dbeta[j] += dout[k];
                sumDoutXhat[j] += dout[k] * xhat[k];
                dgamma[j] += dout[k] * cache.X[k]; // mutation: x where xhat belongs
            }

        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * sumDoutXhat[j]);
            }
    }
}
