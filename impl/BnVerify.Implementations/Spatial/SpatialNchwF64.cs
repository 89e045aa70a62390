using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass NCHW backward (<see cref="SpatialNchwBackward{T}"/>): float64, one thread, non-temporal stores of dx when dx is larger than the cache.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class SpatialNchwF64(KernelOptions options) : SpatialNchwBackward<double>(BackwardInfo.Correct(
    "spatial-nchw-f64", "this project: fused two-pass SIMD kernel over NCHW planes (float64, one thread, non-temporal stores of dx when dx is larger than the cache)", Family.Fast), options, o => new SpatialNchwF64(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public SpatialNchwF64() : this(new KernelOptions(Stores: NonTemporal.WhenLarge)) { }
}
