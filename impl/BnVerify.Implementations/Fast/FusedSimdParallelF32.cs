using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float32 with float64 column sums, rows split across threads with deterministic partial sums, non-temporal stores when large.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class FusedSimdParallelF32(KernelOptions options) : FusedSimdBackward<float>(BackwardInfo.Correct(
    "fused-simd-parallel-f32", "this project: fused two-pass SIMD kernel (float32 with float64 column sums, rows split across threads with deterministic partial sums, non-temporal stores when large)", Family.Fast), options, o => new FusedSimdParallelF32(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdParallelF32() : this(new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)) { }
}
