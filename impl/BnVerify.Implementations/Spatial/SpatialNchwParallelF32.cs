using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass NCHW backward (<see cref="SpatialNchwBackward{T}"/>): float32 data with float64 channel sums, channels split across threads with the one-thread result bit for bit, non-temporal stores when large.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class SpatialNchwParallelF32(KernelOptions options) : SpatialNchwBackward<float>(BackwardInfo.Correct(
    "spatial-nchw-parallel-f32", "this project: fused two-pass SIMD kernel over NCHW planes (float32 data with float64 channel sums, channels split across threads with the one-thread result bit for bit, non-temporal stores when large)", Family.Fast), options, o => new SpatialNchwParallelF32(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public SpatialNchwParallelF32() : this(new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)) { }
}
