namespace BnVerify.Implementations;

/// <summary>
/// Spatial batch norm (PyTorch's <c>BatchNorm2d</c> in training mode) written directly on NCHW memory, without transposing:
/// channel c's values are the N planes of H·W contiguous numbers at offsets (n·C + c)·H·W, and its statistics average all
/// m = N·H·W of them. Per channel, pass 1 sums over the planes dbeta = Σdout and dgamma = Σdout·xhat; pass 2 writes
/// dx = (gamma·invStd/m)·(m·dout − dbeta − xhat·dgamma) plane by plane (the closed form of <see cref="AltSimplified"/>
/// with m = N·H·W). Plain float64 loops. Correct.
/// </summary>
public sealed class SpatialNchwLoop() : BatchNormBackward<double>(BackwardInfo.Correct(
    "spatial-nchw-loop", "this project: the closed form in direct loops over NCHW planes (statistics per channel over N·H·W)", Family.Reference), Layout.NCHW)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var shape = cache.Shape;
        int images = shape.N, channels = shape.C, planeSize = shape.PlaneSize;
        int m = cache.N; // N·H·W values per channel
        var xhat = cache.Xhat;
        for (int c = 0; c < channels; c++)
        {
            // Pass 1 over channel c's planes: dbeta = Σdout, dgamma = Σdout·xhat.
            double sumDout = 0, sumDoutXhat = 0;
            for (int n = 0; n < images; n++)
            {
                int plane = (n * channels + c) * planeSize;
                for (int p = plane; p < plane + planeSize; p++)
                {
                    sumDout += dout[p];
                    sumDoutXhat += dout[p] * xhat[p];
                }
            }
            dbeta[c] = sumDout;
            dgamma[c] = sumDoutXhat;

            // Pass 2: dx = (gamma·invStd/m)·(m·dout − Σdout − xhat·Σ(dout·xhat)).
            double scale = cache.Gamma[c] * cache.InvStd[c] / m;
            for (int n = 0; n < images; n++)
            {
                int plane = (n * channels + c) * planeSize;
                for (int p = plane; p < plane + planeSize; p++)
                    dx[p] = scale * (m * dout[p] - sumDout - xhat[p] * sumDoutXhat);
            }
        }
    }
}
