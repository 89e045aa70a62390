using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the mean path averages dout over the wrong axis: over the D features of each row (axis 1) instead of the N samples of each column (axis 0).
/// Expected diagnosis: dx WrongAxis.
/// </summary>
public sealed class MutantWrongAxisMean() : PlantedMutant("mutant-wrong-axis-mean", "dx's mean path averages over the features of a row instead of the samples of a column", GradientName.Dx, FindingKind.WrongAxis)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;
        var rowMean = new double[N];
        for (int k = 0; k < N * D; k++) rowMean[k / D] += dout[k] / D; // mutation: mean over axis 1

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);

        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - N * rowMean[i] - xhat[k] * dgamma[j]); // mutation: dbeta[j] (column sum) became N·rowMean[i]
            }
    }
}
