using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float32 with float64 column sums, one thread, ordinary stores.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions()</c>.</param>
public sealed class FusedSimdF32(KernelOptions options) : FusedSimdBackward<float>(BackwardInfo.Correct(
    "fused-simd-f32", "this project: fused two-pass SIMD kernel (float32 with float64 column sums, one thread, ordinary stores)", Family.Fast), options, o => new FusedSimdF32(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdF32() : this(new KernelOptions()) { }
}
