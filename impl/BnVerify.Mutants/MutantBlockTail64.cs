using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a shape-boundary bug, as in a blocked kernel. Planted in dx: pass 2 runs
/// over blocks of 64 rows and counts N / 64 blocks once N ≥ 64, so the last partial block (rows 64·⌊N/64⌋ .. N − 1) is
/// never written. Right for N ≤ 64 and for every multiple of 64; the smallest failing N is 65.
/// Expected diagnosis: dx Localized (only rows past the last full block of 64).
/// </summary>
public sealed class MutantBlockTail64() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-block64-tail", "this project: mutant of alt-simplified (shape boundary)", "dx drops the last partial block of 64 rows when N > 64", Family.Mutant)), IPlantedFlaw
{
    private const int Block = 64;

    /// <inheritdoc />
    public GradientName PlantedIn => GradientName.Dx;

    /// <inheritdoc />
    public FindingKind Planted => FindingKind.Localized;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;
        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);

        dx.Clear();
        int blocks = N < Block ? 1 : N / Block; // mutation: (N + Block − 1) / Block belongs
        for (int b = 0; b < blocks; b++)
        {
            int end = Math.Min(N, (b + 1) * Block);
            for (int i = b * Block; i < end; i++)
                for (int j = 0; j < D; j++)
                {
                    int k = i * D + j;
                    dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]);
                }
        }
    }
}
