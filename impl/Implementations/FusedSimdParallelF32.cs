using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass backward: float32 with float64 column sums, rows split across threads, non-temporal stores when large. This project, after the closed form of <see cref="AltSimplified"/>
/// (derivation and error analysis in <see cref="FusedBackward"/>; kernels in <see cref="ColumnSums"/> and <see cref="AffineRows"/>).
/// Math in derivation order: xhat = (x − mean)·invStd, dxhat = gamma·dout,
/// dx = (invStd/N)·(N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)). Pass 1 per column: sumDout = Σdout, sumDoutXmu = Σ(x − mean)·dout,
/// so Σdxhat = gamma·sumDout and Σ(dxhat·xhat) = gamma·invStd·sumDoutXmu; then dbeta = sumDout, dgamma = invStd·sumDoutXmu,
/// a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean; pass 2: dx = a·dout + b·x + c (two FMAs, no division).
/// Multi-core as in <see cref="FusedSimdParallelF64"/>; float32 accumulation as in <see cref="FusedSimdF32"/>.
/// </summary>
public sealed class FusedSimdParallelF32() : BatchNormBackward<float>(BackwardInfo.Correct(
    "fused-simd-parallel-f32", "this project: fused two-pass SIMD kernel (float32 with float64 column sums, rows split across threads, non-temporal stores when large)", Family.Fast))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<float> cache, ReadOnlySpan<float> dout, Span<float> dx, Span<float> dgamma, Span<float> dbeta) =>
        FusedBackward.Run(cache, dout, dx, dgamma, dbeta, threads: FusedBackward.MaxThreads, stores: NonTemporal.WhenLarge);
}
