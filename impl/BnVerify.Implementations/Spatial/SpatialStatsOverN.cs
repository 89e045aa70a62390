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
        var xhat = new double[images];
        dgamma.Clear();
        dbeta.Clear();
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < planeSize; p++)
            {
                // Position (c, p) in image n is at (n·C + c)·H·W + p: the closed form over its N values, with their statistics.
                GroupBackward.Apply(cache, dout, dx, dgamma, dbeta, c, start: c * planeSize + p, stride: channels * planeSize, count: images, xhat);
            }
    }
}
