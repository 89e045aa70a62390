using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass NCHW backward (<see cref="SpatialNchwBackward{T}"/>): float64, channels split across threads with the one-thread result bit for bit, non-temporal stores when large.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class SpatialNchwParallelF64(KernelOptions options) : SpatialNchwBackward<double>(BackwardInfo.Correct(
    "spatial-nchw-parallel-f64", "this project: fused two-pass SIMD kernel over NCHW planes (float64, channels split across threads with the one-thread result bit for bit, non-temporal stores when large)", Family.Fast), options, o => new SpatialNchwParallelF64(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public SpatialNchwParallelF64() : this(new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)) { }
}
