using BnVerify.Kernels;

namespace BnVerify.Implementations;

/// <summary>The fused two-pass backward (<see cref="FusedSimdBackward{T}"/>): float64, one thread, non-temporal stores of dx when dx is larger than the cache.</summary>
/// <param name="options">Kernel settings; the parameterless constructor uses <c>new KernelOptions(Stores: NonTemporal.WhenLarge)</c>.</param>
public sealed class FusedSimdNtF64(KernelOptions options) : FusedSimdBackward<double>(BackwardInfo.Correct(
    "fused-simd-nt-f64", "this project: fused two-pass SIMD kernel (float64, one thread, non-temporal stores of dx when dx is larger than the cache)", Family.Fast), options, o => new FusedSimdNtF64(o))
{
    /// <summary>The implementation with its default settings.</summary>
    public FusedSimdNtF64() : this(new KernelOptions(Stores: NonTemporal.WhenLarge)) { }
}
