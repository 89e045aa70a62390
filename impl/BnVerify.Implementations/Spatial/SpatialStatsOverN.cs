using BnVerify.Doctor;

namespace BnVerify.Implementations;

/// <summary>
/// Deliberately flawed: averages over the batch axis only, ignoring H and W, as if the N×C×H×W batch were the 2-D batch
/// N×(C·H·W) with gamma and beta repeated over each channel's positions. Each position (c, h, w) gets its own statistics over
/// its N values (recomputed here from x and eps); then per position the closed form
/// dx = (gamma·invStd'/N)·(N·dout − Σdout − xhat'·Σ(dout·xhat')); dgamma = Σ over positions of Σdout·xhat', dbeta = Σdout.
/// Right only when H = W = 1; caught on any batch with H·W &gt; 1. Its diagnosis must be <see cref="SpatialFinding.StatisticsOverBatchOnly"/>.
/// </summary>
public sealed class SpatialStatsOverN() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "spatial-stats-over-n", "the common mistake of 2-D batch norm on the N×(C·H·W) batch (statistics over N only)",
    "statistics over the batch axis N only, per channel and position, ignoring H and W", Family.Reference), Layout.NCHW), ISpatialFlaw
{
    /// <inheritdoc />
    public SpatialFinding Expected => SpatialFinding.StatisticsOverBatchOnly;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var shape = cache.Shape;
        int images = shape.N, channels = shape.C, planeSize = shape.PlaneSize;
        var x = cache.X;
        var xhat = new double[images];
        dgamma.Clear();
        dbeta.Clear();
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < planeSize; p++)
            {
                // Position (c, p) in image n is at (n·C + c)·H·W + p: its N values and their statistics.
                int At(int n) => (n * channels + c) * planeSize + p;
                double mean = 0, var = 0;
                for (int n = 0; n < images; n++) mean += x[At(n)];
                mean /= images;
                for (int n = 0; n < images; n++) var += (x[At(n)] - mean) * (x[At(n)] - mean);
                double invStd = 1.0 / Math.Sqrt(var / images + cache.Eps);
                for (int n = 0; n < images; n++) xhat[n] = (x[At(n)] - mean) * invStd;

                // The closed form over those N values.
                double sumDout = 0, sumDoutXhat = 0;
                for (int n = 0; n < images; n++)
                {
                    sumDout += dout[At(n)];
                    sumDoutXhat += dout[At(n)] * xhat[n];
                }
                double scale = cache.Gamma[c] * invStd / images;
                for (int n = 0; n < images; n++)
                    dx[At(n)] = scale * (images * dout[At(n)] - sumDout - xhat[n] * sumDoutXhat);
                dbeta[c] += sumDout;
                dgamma[c] += sumDoutXhat;
            }
    }
}
