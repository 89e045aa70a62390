using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass backward (float64, one thread); this project, after the closed form of <see cref="AltSimplified"/>.
/// Math (see <see cref="FusedBackward"/> for the derivation): xhat = (x − mean)·invStd, dxhat = gamma·dout;
/// pass 1 per column: sumDout = Σdout, sumDoutXmu = Σ(x − mean)·dout; then dbeta = sumDout, dgamma = invStd·sumDoutXmu,
/// a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean; pass 2: dx = a·dout + b·x + c.
/// </summary>
public sealed class FusedSimdF64() : BatchNormBackward<double>(BackwardInfo.Correct(
    "fused-simd-f64", "this project: fused two-pass SIMD kernel (float64, one thread)", Family.Fast))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        FusedBackward.Run(cache, dout, dx, dgamma, dbeta, threads: 1, nonTemporal: false);
}
