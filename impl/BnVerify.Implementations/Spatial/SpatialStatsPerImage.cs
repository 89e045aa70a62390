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
        var xhat = new double[planeSize];
        dgamma.Clear();
        dbeta.Clear();
        for (int n = 0; n < shape.N; n++)
            for (int c = 0; c < channels; c++)
            {
                // The plane (n, c): the closed form over its H·W values, with the plane's own statistics (var 1/H·W).
                GroupBackward.Apply(cache, dout, dx, dgamma, dbeta, c, start: (n * channels + c) * planeSize, stride: 1, count: planeSize, xhat);
            }
    }
}
