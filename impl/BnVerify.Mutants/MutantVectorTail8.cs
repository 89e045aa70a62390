using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a shape-boundary bug, as in a vector kernel of width 8. Planted in dx:
/// for D &gt; 8 the columns are processed 8 at a time and the scalar loop over the tail (columns 8·⌊D/8⌋ .. D − 1)
/// leaves out the variance-path term; D ≤ 8 takes a plain (right) loop. Right whenever D ≤ 8 or D is a multiple of 8;
/// the smallest failing D is 9.
/// Expected diagnosis: dx Localized (only the tail columns past the last multiple of 8).
/// </summary>
public sealed class MutantVectorTail8() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "mutant-vector-tail8", "this project: mutant of alt-simplified (shape boundary)", "for D > 8 the tail columns past the last multiple of 8 lack the variance-path term", Family.Mutant)), IPlantedFlaw
{
    private const int Width = 8;

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
        if (D <= Width)
        {
            AltSimplified.Dx(dout, xhat, gamma, invStd, dbeta, dgamma, dx);
            return;
        }

        int body = D / Width * Width;
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < body; j++) // the vector body (written as a loop here)
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]);
            }
            for (int j = body; j < D; j++) // the scalar tail
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j]); // mutation: − xhat·Σ(dout·xhat) left out
            }
        }
    }
}
