using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass backward: float64, one thread, ordinary stores. This project, after the closed form of <see cref="AltSimplified"/>
/// (derivation and error analysis in <see cref="FusedBackward"/>; kernels in <see cref="ColumnSums"/> and <see cref="AffineRows"/>).
/// Math in derivation order: xhat = (x − mean)·invStd, dxhat = gamma·dout,
/// dx = (invStd/N)·(N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)). Pass 1 per column: sumDout = Σdout, sumDoutXmu = Σ(x − mean)·dout,
/// so Σdxhat = gamma·sumDout and Σ(dxhat·xhat) = gamma·invStd·sumDoutXmu; then dbeta = sumDout, dgamma = invStd·sumDoutXmu,
/// a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean; pass 2: dx = a·dout + b·x + c (two FMAs, no division).
/// </summary>
public sealed class FusedSimdF64() : BatchNormBackward<double>(BackwardInfo.Correct(
    "fused-simd-f64", "this project: fused two-pass SIMD kernel (float64, one thread, ordinary stores)", Family.Fast))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        FusedBackward.Run(cache, dout, dx, dgamma, dbeta, threads: 1, stores: NonTemporal.Never);
}
