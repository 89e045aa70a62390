using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float32 with float64 column sums, one thread, non-temporal stores of dx when dx is larger than the cache.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class FusedSimdNtF32(KernelOptions options) : FusedSimdBackward<float>(BackwardInfo.Correct(
    "fused-simd-nt-f32", "this project: fused two-pass SIMD kernel (float32 with float64 column sums, one thread, non-temporal stores of dx when dx is larger than the cache)", Family.Fast), options, o => new FusedSimdNtF32(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdNtF32() : this(new KernelOptions(Stores: NonTemporal.WhenLarge)) { }
}
