using BnVerify.Doctor;

namespace BnVerify.Implementations;

/// <summary>
/// Deliberately flawed: normalizes each image alone. Each plane (image n, channel c) gets its own statistics over its H·W
/// values (what instance normalization does), recomputed here from x and eps; then per plane the closed form
/// dx = (gamma·invStd'/H·W)·(H·W·dout − Σdout − xhat'·Σ(dout·xhat')) with the plane's invStd' and xhat';
/// dgamma = Σ over planes of Σdout·xhat', dbeta = Σdout. Batch norm's statistics average all N·H·W values of a channel,
/// so this is right only when N = 1; caught on any batch of two or more images. Its diagnosis must be
/// <see cref="SpatialFinding.StatisticsPerImage"/>.
/// </summary>
public sealed class SpatialStatsPerImage() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "spatial-stats-per-image", "the common mistake of normalizing each image alone (instance norm's statistics)",
    "statistics per image: each image's channel over its own H·W values instead of all N·H·W", Family.Reference), Layout.NCHW), ISpatialFlaw
{
    /// <inheritdoc />
    public SpatialFinding Expected => SpatialFinding.StatisticsPerImage;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var shape = cache.Shape;
        int channels = shape.C, planeSize = shape.PlaneSize;
        var x = cache.X;
        var xhat = new double[planeSize];
        dgamma.Clear();
        dbeta.Clear();
        for (int n = 0; n < shape.N; n++)
            for (int c = 0; c < channels; c++)
            {
                int plane = (n * channels + c) * planeSize;
                // The plane's own statistics: mean, var (1/H·W), invStd, xhat.
                double mean = 0, var = 0;
                for (int p = 0; p < planeSize; p++) mean += x[plane + p];
                mean /= planeSize;
                for (int p = 0; p < planeSize; p++) var += (x[plane + p] - mean) * (x[plane + p] - mean);
                double invStd = 1.0 / Math.Sqrt(var / planeSize + cache.Eps);
                for (int p = 0; p < planeSize; p++) xhat[p] = (x[plane + p] - mean) * invStd;

                // The closed form over the plane.
                double sumDout = 0, sumDoutXhat = 0;
                for (int p = 0; p < planeSize; p++)
                {
                    sumDout += dout[plane + p];
                    sumDoutXhat += dout[plane + p] * xhat[p];
                }
                double scale = cache.Gamma[c] * invStd / planeSize;
                for (int p = 0; p < planeSize; p++)
                    dx[plane + p] = scale * (planeSize * dout[plane + p] - sumDout - xhat[p] * sumDoutXhat);
                dbeta[c] += sumDout;
                dgamma[c] += sumDoutXhat;
            }
    }
}
