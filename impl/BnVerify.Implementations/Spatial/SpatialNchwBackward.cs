using System.Numerics;
using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>
/// The fused two-pass NCHW backward shared by the <c>spatial-nchw-*</c> implementations (this project; math and error analysis in
/// <see cref="SpatialFusedBackward"/>, kernels <see cref="PlaneSums"/> and <see cref="PlaneAffine"/>): the fused 2-D kernel's
/// algebra per channel over m = N·H·W values. Pass 1 reduces each channel's planes to sumDout = Σdout and
/// sumDoutXmu = Σ(x − mean)·dout; then dbeta = sumDout, dgamma = invStd·sumDoutXmu, a = gamma·invStd,
/// b = −a·invStd²·sumDoutXmu/m, c = −a·sumDout/m − b·mean; pass 2 writes dx = a·dout + b·x + c over the planes.
/// Float32: float32 data, float64 channel sums (float32 blocks of at most 2048 values per plane), constants formed in float64.
/// </summary>
/// <param name="info">Id, source and declared verdict of the concrete implementation.</param>
/// <param name="options">The kernel settings it runs with.</param>
/// <param name="withOptions">The concrete class's constructor from options (<see cref="TunableBackward{T}"/>).</param>
public abstract class SpatialNchwBackward<T>(BackwardInfo info, KernelOptions options, Func<KernelOptions, IBatchNormBackward> withOptions)
    : TunableBackward<T>(info, options, withOptions, Layout.NCHW)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta) =>
        SpatialFusedBackward.Run(cache, dout, dx, dgamma, dbeta, Options);
}
