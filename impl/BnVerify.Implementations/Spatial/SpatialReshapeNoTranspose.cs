using BnVerify.Doctor;

namespace BnVerify.Implementations;

/// <summary>
/// Deliberately flawed: cs231n's <c>spatial_batchnorm_backward</c> with the transpose forgotten, <c>dout.reshape(-1, C)</c>
/// where <c>dout.transpose(0, 2, 3, 1).reshape(-1, C)</c> belongs. The NCHW memory read as a row-major (N·H·W)×C matrix puts
/// element k in "column" k mod C, which mixes channels and positions; the statistics (recomputed here from x and eps as the
/// equally reshaped forward would have cached them), the 2-D backward of <see cref="AltSimplified"/>, and dgamma and dbeta
/// are then all per such column. Right only when H·W = 1 or C = 1 (then NCHW is that matrix); caught on any spatial batch
/// with H·W &gt; 1 and C &gt; 1. Its diagnosis must be <see cref="SpatialFinding.ReshapeWithoutTranspose"/>.
/// </summary>
public sealed class SpatialReshapeNoTranspose() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "spatial-reshape-no-transpose", "the common mistake in cs231n's spatial_batchnorm_backward: reshape(-1, C) without transpose(0, 2, 3, 1)",
    "reshapes NCHW to (N·H·W)×C without moving the channel axis last: the 'columns' mix channels and positions", Family.Reference), Layout.NCHW), ISpatialFlaw
{
    /// <inheritdoc />
    public SpatialFinding Expected => SpatialFinding.ReshapeWithoutTranspose;

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        // x.reshape(-1, C) of the NCHW memory: rows = N·H·W, column j = the elements k with k mod C = j.
        int rows = cache.N, columns = cache.D;
        var x = cache.X;

        // The statistics of those columns: mean, var (1/rows), invStd, xhat.
        var mean = new double[columns];
        var invStd = new double[columns];
        for (int k = 0; k < x.Length; k++) mean[k % columns] += x[k];
        for (int j = 0; j < columns; j++) mean[j] /= rows;
        var var = new double[columns];
        for (int k = 0; k < x.Length; k++) var[k % columns] += (x[k] - mean[k % columns]) * (x[k] - mean[k % columns]);
        for (int j = 0; j < columns; j++) invStd[j] = 1.0 / Math.Sqrt(var[j] / rows + cache.Eps);
        var xhat = new double[x.Length];
        for (int k = 0; k < x.Length; k++) xhat[k] = (x[k] - mean[k % columns]) * invStd[k % columns];

        // The 2-D backward on that matrix.
        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, cache.Gamma, invStd, dbeta, dgamma, dx);
    }
}
