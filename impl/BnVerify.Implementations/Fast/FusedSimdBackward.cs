using System.Numerics;
using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass backward shared by the <c>fused-simd-*</c> implementations. This project, after the closed form of
/// <see cref="AltSimplified"/> (derivation and error analysis in <see cref="FusedBackward"/>; kernels in
/// <see cref="ColumnSums"/> and <see cref="AffineRows"/>).
/// Math in derivation order: xhat = (x − mean)·invStd, dxhat = gamma·dout,
/// dx = (invStd/N)·(N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)). Pass 1 per column: sumDout = Σdout, sumDoutXmu = Σ(x − mean)·dout,
/// so Σdxhat = gamma·sumDout and Σ(dxhat·xhat) = gamma·invStd·sumDoutXmu; then dbeta = sumDout, dgamma = invStd·sumDoutXmu,
/// a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean; pass 2: dx = a·dout + b·x + c (two FMAs, no division).
/// <para>
/// Float32: the data, the cache and dx are float32; the column sums are accumulated in float64 (blocks of 256 rows in float32
/// registers, then widened), and a, b, c are formed in float64 and rounded once. The checker judges it against the exact gradient
/// at its own float32 inputs with the allowance 8·u32·(N + 4 + κ) natural units (u32 = 2^-24, see ErrorModel): the float32 part
/// of this kernel commits O(u32·(66 + κ)) (rounding of x − mean, the 256-row block sums, the constants and the two FMAs), and the
/// float64 accumulation N·u64, so it stays far inside the allowance for any N (at N = 16384 the allowance is ~8·16388·u32,
/// the kernel's error at most ~66 u32 — see FastKernelTests).
/// </para>
/// <para>
/// Multi-core: rows are cut into fixed chunks of <see cref="FusedBackward.ChunkRows"/>; each worker sums its chunks into their own
/// slots, combined in chunk order, so the result is bitwise that of one thread. One thread below
/// <see cref="KernelOptions.ParallelThresholdBytes"/> per array.
/// </para>
/// </summary>
/// <param name="info">Id, source and declared verdict of the concrete implementation.</param>
/// <param name="options">The kernel settings it runs with.</param>
/// <param name="withOptions">The concrete class's constructor from options (<see cref="TunableBackward{T}"/>).</param>
public abstract class FusedSimdBackward<T>(BackwardInfo info, KernelOptions options, Func<KernelOptions, IBatchNormBackward> withOptions)
    : TunableBackward<T>(info, options, withOptions)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta) =>
        FusedBackward.Run(cache, dout, dx, dgamma, dbeta, Options);
}
