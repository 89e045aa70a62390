using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass NCHW backward (<see cref="SpatialNchwBackward{T}"/>): float32 data with float64 channel sums, one thread, non-temporal stores of dx when dx is larger than the cache.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class SpatialNchwF32(KernelOptions options) : SpatialNchwBackward<float>(BackwardInfo.Correct(
    "spatial-nchw-f32", "this project: fused two-pass SIMD kernel over NCHW planes (float32 data with float64 channel sums, one thread, non-temporal stores of dx when dx is larger than the cache)", Family.Fast), options, o => new SpatialNchwF32(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public SpatialNchwF32() : this(new KernelOptions(Stores: NonTemporal.WhenLarge)) { }
}
