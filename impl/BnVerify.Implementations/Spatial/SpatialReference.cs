namespace BnVerify.Implementations;

/// <summary>
/// Spatial batch norm the cs231n way (assignment 2, <c>spatial_batchnorm_backward</c>): move the channel axis last and flatten,
/// <c>dout.transpose(0, 2, 3, 1).reshape(-1, C)</c>, so the N×C×H×W batch becomes the (N·H·W)×C matrix whose columns are the
/// channels; run the 2-D backward on it (the correct closed form of <see cref="AltSimplified"/>:
/// dx = (gamma·invStd/m)·(m·dout − Σdout − xhat·Σ(dout·xhat)) with m = N·H·W, dgamma = Σdout·xhat, dbeta = Σdout);
/// then <c>dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)</c> back to NCHW. It computes in NCHW (receives and returns NCHW data)
/// and pays two transpositions of dout and xhat and one of dx for the reuse. Correct.
/// </summary>
public sealed class SpatialReference() : BatchNormBackward<double>(BackwardInfo.Correct(
    "spatial-reference", "cs231n assignment 2, spatial_batchnorm_backward: transpose to (N·H·W)×C, the 2-D backward, transpose back", Family.Reference), Layout.NCHW)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var shape = cache.Shape;
        // (N, C, H, W) → (N, H, W, C) → (N·H·W)×C.
        var doutRows = Layouts.ToCanonical(dout, shape, Layout.NCHW);
        var xhatRows = Layouts.ToCanonical(cache.Xhat, shape, Layout.NCHW);
        var dxRows = new double[doutRows.Length];
        // The 2-D backward on the channels as columns.
        AltSimplified.ColumnSums(doutRows, xhatRows, dbeta, dgamma);
        AltSimplified.Dx(doutRows, xhatRows, cache.Gamma, cache.InvStd, dbeta, dgamma, dxRows);
        // (N·H·W)×C → (N, H, W, C) → (N, C, H, W).
        Layouts.FromCanonical<double>(dxRows, dx, shape, Layout.NCHW);
    }
}
