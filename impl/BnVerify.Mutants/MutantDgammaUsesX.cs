using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dgamma: sums dout·x where dout·xhat belongs (dx keeps its own, right, Σ(dout·xhat)).
/// Expected diagnosis: dgamma DgammaUsesX.
/// </summary>
public sealed class MutantDgammaUsesX() : PlantedMutant("mutant-dgamma-uses-x", "dgamma sums dout·x instead of dout·xhat", GradientName.Dgamma, FindingKind.DgammaUsesX)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        // dx keeps its own, right, Σ(dout·xhat); only the dgamma that is returned is wrong.
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);

        int N = cache.N, D = cache.D;
        dgamma.Clear();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dgamma[j] += dout[k] * cache.X[k]; // mutation: x where xhat belongs
            }
    }
}
