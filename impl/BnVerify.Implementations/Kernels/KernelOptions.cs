namespace BnVerify.Kernels;

/// <summary>When pass 2 writes dx with non-temporal (cache-bypassing) stores.</summary>
public enum NonTemporal
{
    /// <summary>Ordinary stores always.</summary>
    Never,

    /// <summary>Non-temporal stores when dx is at least <see cref="KernelOptions.NonTemporalThresholdBytes"/>, ordinary stores below.</summary>
    WhenLarge,

    /// <summary>Non-temporal stores always (for measurement).</summary>
    Always,
}

/// <summary>
/// How a fused kernel runs: passed in (to the constructor of a <c>fused-simd-*</c> implementation, or to
/// <see cref="FusedBackward.Run{T}"/>), never set process-wide, so tests and benchmarks can run side by side.
/// </summary>
/// <param name="Threads">Most workers the kernel may use (1: one thread).</param>
/// <param name="Stores">When dx is written with non-temporal stores.</param>
/// <param name="ParallelThresholdBytes">
/// Below this many bytes per N×D array the kernel runs on one thread whatever <paramref name="Threads"/> says: the
/// second worker's start and join cost more than it saves. Measured on the 2-core AVX-512 EPYC VM as the paired cost of
/// <c>parallel-threshold=0</c> against the default in one run (`bench --quick --variant`, README "Multi-core threshold"):
/// two workers lose 25–80% at 128–256 KiB per array (8×64×8×8), are mixed at 512 KiB–1 MiB (−31% to +15%), and gain
/// 12–46% at every shape from 2 MiB on (512×512 float64, 1024×512, 4096×256, 32×256×14×14, 1024×1024 float32).
/// </param>
/// <param name="NonTemporalThresholdBytes">
/// From this many bytes of dx on, <see cref="NonTemporal.WhenLarge"/> writes dx with non-temporal stores: then x, dout
/// and dx (three times this) no longer fit a 32 MiB last-level cache, a store would first read its line
/// (read-for-ownership) and evict data for nothing. Measured: at 4096×1024 float64 the non-temporal pass 2 is about
/// 1.3–1.5× faster, at 64×256 slower.
/// </param>
/// <param name="Prefetch">
/// Whether the two passes issue software prefetches ahead of their loads (<see cref="ColumnSums.PrefetchBytes"/>,
/// <see cref="AffineRows.PrefetchBytes"/>, and the NCHW kernels' <see cref="PlaneSums"/> and <see cref="PlaneAffine"/>). Off by
/// default: on the 2-core AVX-512 EPYC VM (Zen 5), with each row peeled to a line boundary, turning it on cost the fused
/// kernels 4–24% and the NCHW kernels −2% to +13% (`bench --quick --variant ID:prefetch=on`, paired rounds, README
/// "Prefetch"); it had paid 4–7% on the AVX2 EPYC VM of earlier sessions, which is why it stays an option.
/// </param>
/// <param name="StreamingThresholdBytes">
/// From this many bytes per N×D array on, the 2-D kernels run their bodies for data streamed from memory: pass 1 one row at
/// a time instead of in groups of rows, and both passes with each row aligned to a vector boundary first (see
/// <see cref="ColumnSums"/>); below it, the bodies for data in the caches. The result is bitwise the same either way.
/// Measured on the 2-core AVX-512 EPYC VM: the streaming body's time against the other's, paired (`bench --quick --variant
/// ID:streaming-threshold=0|max`, README "Alignment and prefetch"), float32 / float64: +111% / +48% at 128×64 (32 / 64 KiB
/// per array), +9% / −6% at 64×256, +20% / +2% at 256×256, −7% / −10% at 128×1024 (512 KiB / 1 MiB), and −1% to −36%
/// at every shape measured from 1 MiB to 64 MiB.
/// </param>
/// <param name="MaxVectorBits">
/// The widest vector the kernels may use, in bits: 512, 256 or 128. They run at the narrower of this and the widest width
/// the CPU accelerates (<see cref="VectorBits"/>); every width gives bitwise the same result. 512 by default (no limit).
/// </param>
public sealed record KernelOptions(
    int Threads = 1,
    NonTemporal Stores = NonTemporal.Never,
    long ParallelThresholdBytes = KernelOptions.DefaultParallelThresholdBytes,
    long NonTemporalThresholdBytes = KernelOptions.DefaultNonTemporalThresholdBytes,
    bool Prefetch = false,
    int MaxVectorBits = 512,
    long StreamingThresholdBytes = KernelOptions.DefaultStreamingThresholdBytes)
{
    /// <summary>The default settings: one thread, ordinary stores, prefetch on, the widest vectors.</summary>
    public static KernelOptions Default { get; } = new();

    /// <summary>The vector width the kernels run at: the narrower of <see cref="MaxVectorBits"/> and <see cref="SimdWidth.Widest"/>.</summary>
    public int VectorBits => Math.Min(MaxVectorBits, SimdWidth.Widest);

    /// <summary>The measured default of <see cref="ParallelThresholdBytes"/>: 2 MiB per array.</summary>
    public const long DefaultParallelThresholdBytes = 2L << 20;

    /// <summary>The measured default of <see cref="NonTemporalThresholdBytes"/>: 16 MiB of dx.</summary>
    public const long DefaultNonTemporalThresholdBytes = 16L << 20;

    /// <summary>The measured default of <see cref="StreamingThresholdBytes"/>: 512 KiB per array.</summary>
    public const long DefaultStreamingThresholdBytes = 512L << 10;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be at least 1");
        if (ParallelThresholdBytes < 0) throw new ArgumentOutOfRangeException(nameof(ParallelThresholdBytes), ParallelThresholdBytes, "must be ≥ 0");
        if (NonTemporalThresholdBytes < 0) throw new ArgumentOutOfRangeException(nameof(NonTemporalThresholdBytes), NonTemporalThresholdBytes, "must be ≥ 0");
        if (StreamingThresholdBytes < 0) throw new ArgumentOutOfRangeException(nameof(StreamingThresholdBytes), StreamingThresholdBytes, "must be ≥ 0");
        if (MaxVectorBits is not (128 or 256 or 512)) throw new ArgumentOutOfRangeException(nameof(MaxVectorBits), MaxVectorBits, "must be 128, 256 or 512");
    }
}

/// <summary>
/// An implementation whose kernel settings can be chosen: <see cref="With"/> returns the same implementation (same id)
/// running with other <see cref="KernelOptions"/>. The benchmark's <c>--threads</c> and the gate's planted regressions use it.
/// </summary>
public interface ITunableBackward : IBatchNormBackward
{
    /// <summary>The settings this instance runs with.</summary>
    KernelOptions Options { get; }

    /// <summary>The same implementation with <paramref name="options"/>.</summary>
    IBatchNormBackward With(KernelOptions options);
}
