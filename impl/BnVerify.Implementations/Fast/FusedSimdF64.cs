using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float64, one thread, ordinary stores.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions()</c>.</param>
public sealed class FusedSimdF64(KernelOptions options) : FusedSimdBackward<double>(BackwardInfo.Correct(
    "fused-simd-f64", "this project: fused two-pass SIMD kernel (float64, one thread, ordinary stores)", Family.Fast), options, o => new FusedSimdF64(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdF64() : this(new KernelOptions()) { }
}
