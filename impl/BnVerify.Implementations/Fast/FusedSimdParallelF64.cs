using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float64, rows split across threads with deterministic partial sums, non-temporal stores when large.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class FusedSimdParallelF64(KernelOptions options) : FusedSimdBackward<double>(BackwardInfo.Correct(
    "fused-simd-parallel-f64", "this project: fused two-pass SIMD kernel (float64, rows split across threads with deterministic partial sums, non-temporal stores when large)", Family.Fast), options, o => new FusedSimdParallelF64(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdParallelF64() : this(new KernelOptions(Threads: Environment.ProcessorCount, Stores: NonTemporal.WhenLarge)) { }
}
