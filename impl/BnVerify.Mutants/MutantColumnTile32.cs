using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a shape-boundary bug, as in a kernel that keeps its column sums in a tile
/// of 32. Planted in dx: column j reads the sums Σdout and Σdout·xhat of column j mod 32, so every column past 32 is
/// handed another column's sums (dgamma and dbeta themselves are right). Right for D ≤ 32; the smallest failing D is 33.
/// Expected diagnosis: dx Localized (only columns ≥ 32).
/// </summary>
public sealed class MutantColumnTile32() : PlantedMutant(
    "mutant-column-tile32", "dx of columns past 32 uses the sums of column j mod 32", GradientName.Dx, FindingKind.Localized, "shape boundary")
{
    private const int Tile = 32;

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
                int t = j % Tile; // mutation: the tile index is used where the column index belongs
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[t] - xhat[k] * dgamma[t]);
            }
    }
}
