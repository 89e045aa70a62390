using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass backward (float32, rows split across threads); this project, after the closed form of <see cref="AltSimplified"/>.
/// Math (see <see cref="FusedBackward"/> for the derivation): xhat = (x − mean)·invStd, dxhat = gamma·dout;
/// pass 1 per column: sumDout = Σdout, sumDoutXmu = Σ(x − mean)·dout; then dbeta = sumDout, dgamma = invStd·sumDoutXmu,
/// a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean; pass 2: dx = a·dout + b·x + c.
/// </summary>
public sealed class FusedSimdParallelF32() : BatchNormBackward<float>(BackwardInfo.Correct(
    "fused-simd-parallel-f32", "this project: fused two-pass SIMD kernel (float32, rows split across threads)", Family.Fast))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<float> cache, ReadOnlySpan<float> dout, Span<float> dx, Span<float> dgamma, Span<float> dbeta) =>
        FusedBackward.Run(cache, dout, dx, dgamma, dbeta, threads: FusedBackward.MaxThreads, nonTemporal: false);
}
