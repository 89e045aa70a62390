using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 1 of the fused backward: per-column sums over a block of rows of a row-major batch,
/// <c>sumDout_j += Σ_i dout_ij</c> and <c>sumDoutXmu_j += Σ_i (x_ij − mean_j)·dout_ij</c>.
/// Because the layout is row-major, the column accumulators are vectors across the D dimension that stay in L1: a group of
/// <see cref="RowsPerGroup"/> rows is summed in registers, column vector by column vector, and the group's sums are added to
/// the accumulators once (so they are loaded and stored once per group, not per row). Measured against one row at a time on
/// the AVX2 VM (paired rounds, aligned accumulators): 1.2–1.5× faster while the data sits in the caches (128×64 to 2048×1024
/// float64), about 6% slower at 16384×1024 (83% vs 89% of a plain two-stream sum's speed, 80 paired rounds), where one
/// row at a time keeps the memory to two read streams; one body for every size was preferred to a size switch. The
/// accumulators and the mean are touched once per group and vector, so callers should pass them 64-byte aligned
/// (<see cref="FusedBackward"/> does, through <see cref="AlignedScratch"/>): misaligned, half of those accesses split
/// across two cache lines.
/// TensorPrimitives style: one vector body, written once over <see cref="ISimdWidth{T, TVec}"/> and run at the widest
/// accelerated width (512, 256 or 128 bits), then a scalar remainder for the columns that do not fill a vector. The scalar
/// remainder repeats a vector lane's operations in the same order, so the sums are bitwise the same at every width: an
/// AVX2 and an AVX-512 machine return identical gradients.
/// </summary>
public static class ColumnSums
{
    /// <summary>How many rows are summed in registers before the accumulators are loaded and stored.</summary>
    public const int RowsPerGroup = 4;

    /// <summary>
    /// Software prefetch distance, bytes ahead in each of the group's rows, one prefetch per 64-byte line of x and of dout.
    /// One core's streaming bandwidth is bounded by how many cache misses it keeps in flight, and with the loads, stores and
    /// arithmetic per line the out-of-order window covers fewer lines than a plain sum's. 512 B was the best distance
    /// tried on an AVX-512 machine (about 20–25% faster than none at 16384×1024) and on the 2-core EPYC (AVX2) VM, where
    /// the sweep was run on a one-row-at-a-time variant of this pass (no prefetch 78%, 256 B 79%, 512 B 81%, 1 KiB 77%,
    /// 2 KiB 77% of a plain two-stream sum's speed, paired rounds); for these 4-row groups, measured before the accumulators
    /// were aligned, no prefetch, 256 B and 512 B were within noise of each other (78–81%) and 1 KiB worse (71%).
    /// </summary>
    public const int PrefetchBytes = 512;

    /// <summary>
    /// float64: adds the column sums of the rows in <paramref name="x"/> and <paramref name="dout"/> (both rows×d,
    /// row-major, the same length, a whole number of rows) into <paramref name="sumDout"/> and <paramref name="sumDoutXmu"/> (length d).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, ReadOnlySpan<double> mean,
        Span<double> sumDout, Span<double> sumDoutXmu) =>
        Accumulate(x, dout, mean, sumDout, sumDoutXmu, KernelOptions.Default);

    /// <summary>
    /// As <see cref="Accumulate(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/>,
    /// at the vector width and with the prefetch setting of <paramref name="options"/> (<see cref="KernelOptions.VectorBits"/>,
    /// <see cref="KernelOptions.Prefetch"/>); the result is bitwise the same whatever they are.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, ReadOnlySpan<double> mean,
        Span<double> sumDout, Span<double> sumDoutXmu, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SumsAt(options.VectorBits, options.Prefetch, x, dout, mean, sumDout, sumDoutXmu);
    }

    /// <summary>Rows per float32 block: the float32 column sums cover at most this many rows before they are widened into float64.</summary>
    public const int Float32BlockRows = 256;

    /// <summary>
    /// float32 data, float64 accumulators: blocks of <see cref="Float32BlockRows"/> rows are summed in float32 (in groups of
    /// <see cref="RowsPerGroup"/> rows in registers, into float32 column accumulators that stay in L1), and each block's sums are
    /// widened to float64 and added to <paramref name="sumDout"/> and <paramref name="sumDoutXmu"/>. The float32 rounding then acts
    /// on a block's 64 group sums added in sequence (each group of four added pairwise): the accumulated error is at most about
    /// 66·u32 + N·u64 of the sum of magnitudes instead of N·u32 for a plain float32 accumulation, far inside the checker's
    /// 8·u32·(N + 4 + κ) allowance for any N, and the per-line work is that of the float64 kernel (the widening happens once per
    /// block). 256 rows, one block per <see cref="FusedBackward.ChunkRows"/> chunk: 64-row blocks, with four clears and widenings
    /// per chunk, measured 82% instead of 88% of the yardstick at 16384×1024 (paired rounds).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> mean,
        Span<double> sumDout, Span<double> sumDoutXmu) =>
        Accumulate(x, dout, mean, sumDout, sumDoutXmu, KernelOptions.Default);

    /// <summary>
    /// As <see cref="Accumulate(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{double}, Span{double})"/>,
    /// at the vector width and with the prefetch setting of <paramref name="options"/>; the result is bitwise the same whatever they are.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> mean,
        Span<double> sumDout, Span<double> sumDoutXmu, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int width = options.VectorBits;
        bool prefetch = options.Prefetch;
        int d = mean.Length;
        Check(x.Length, dout.Length, d, sumDout.Length, sumDoutXmu.Length);
        int rows = x.Length / d;
        int stride = AlignedScratch.Stride<float>(d);
        var block = AlignedScratch.Get(ref _float32Block, 2 * stride); // the block sums, 64-byte aligned like every accumulator
        var blockDout = block[..d];
        var blockDoutXmu = block.Slice(stride, d);
        for (int b0 = 0; b0 < rows; b0 += Float32BlockRows)
        {
            int blockRows = Math.Min(Float32BlockRows, rows - b0);
            blockDout.Clear();
            blockDoutXmu.Clear();
            SumsAt(width, prefetch, x.Slice(b0 * d, blockRows * d), dout.Slice(b0 * d, blockRows * d), mean, blockDout, blockDoutXmu);
            Widen(blockDout, sumDout, width);
            Widen(blockDoutXmu, sumDoutXmu, width);
        }
    }

    /// <summary>The float32 block sums' scratch, per thread (see <see cref="AlignedScratch"/>).</summary>
    [ThreadStatic] private static float[]? _float32Block;

    /// <summary>
    /// The kernel at a chosen width in bits (512, 256 or 128; a width the CPU lacks runs in software, correctly but slowly):
    /// lets the tests run every width's body on any machine.
    /// </summary>
    internal static void SumsAt<T>(int widthBits, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        SumsAt(widthBits, prefetch: true, x, dout, mean, sumDout, sumDoutXmu);

    /// <summary>The kernel at a chosen width, with or without software prefetch: the one branch on either, once per call.</summary>
    internal static void SumsAt<T>(int widthBits, bool prefetch, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, dout.Length, mean.Length, sumDout.Length, sumDoutXmu.Length);
        if (prefetch) SumsAt<T, Prefetching>(widthBits, x, dout, mean, sumDout, sumDoutXmu);
        else SumsAt<T, NoPrefetch>(widthBits, x, dout, mean, sumDout, sumDoutXmu);
    }

    private static void SumsAt<T, TP>(int widthBits, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TP : struct, IPrefetchPolicy
    {
        switch (widthBits)
        {
            case 512: Sums<T, Vector512<T>, Width512<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            case 256: Sums<T, Vector256<T>, Width256<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            case 128: Sums<T, Vector128<T>, Width128<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            default: throw new ArgumentOutOfRangeException(nameof(widthBits), widthBits, "the vector width is 512, 256 or 128 bits.");
        }
    }

    /// <summary>
    /// The kernel at one vector width <typeparamref name="TVec"/> (see <see cref="ISimdWidth{T, TVec}"/>), prefetching when
    /// <typeparamref name="TP"/> says so (a JIT-time constant: the body without prefetch has no test for it).
    /// </summary>
    // Always fully optimized: a kernel called a few times on large data would otherwise run its loop as tier-0 or
    // on-stack-replacement code, which spills loop variables: the whole backward at 16384×1024 measured 75% instead of 85%
    // of the roofline in float64 and 87% instead of 102% in float32 that way (paired rounds, AVX2 VM), about 12–15% slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Sums<T, TVec, TW, TP>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        int d = mean.Length;
        int rows = x.Length / d;
        nuint w = (nuint)TW.Count;
        nuint ahead = (nuint)(PrefetchBytes / sizeof(T)); // prefetch never faults, even past the end
        nuint lineMask = (nuint)(64 / sizeof(T) - 1);     // one prefetch per 64-byte line: when the element index is a multiple of a line
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        ref T mr = ref MemoryMarshal.GetReference(mean);
        ref T sr = ref MemoryMarshal.GetReference(sumDout);
        ref T tr = ref MemoryMarshal.GetReference(sumDoutXmu);
        nuint d1 = (nuint)d, d2 = 2 * d1, d3 = 3 * d1;
        for (int i0 = 0; i0 < rows; i0 += RowsPerGroup)
        {
            int g = Math.Min(RowsPerGroup, rows - i0);
            nuint row0 = (nuint)i0 * d1;
            nuint j = 0;
            if (g == RowsPerGroup)
            {
                // A full group, unrolled: four rows per column vector, added pairwise (shorter dependency chains), then
                // into the accumulators once.
                for (; j + w <= d1; j += w)
                {
                    nuint k = row0 + j;
                    if (TP.Enabled && Sse.IsSupported && (k & lineMask) < w)
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, k + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, k + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, k + d1 + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, k + d1 + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, k + d2 + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, k + d2 + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, k + d3 + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, k + d3 + ahead)));
                    }
                    var m = TW.Load(ref mr, j);
                    var g0 = TW.Load(ref gr, k);
                    var g1 = TW.Load(ref gr, k + d1);
                    var g2 = TW.Load(ref gr, k + d2);
                    var g3 = TW.Load(ref gr, k + d3);
                    var t01 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k), m), g0, TW.Multiply(TW.Subtract(TW.Load(ref xr, k + d1), m), g1));
                    var t23 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k + d2), m), g2, TW.Multiply(TW.Subtract(TW.Load(ref xr, k + d3), m), g3));
                    TW.Store(TW.Add(TW.Load(ref sr, j), TW.Add(TW.Add(g0, g1), TW.Add(g2, g3))), ref sr, j);
                    TW.Store(TW.Add(TW.Load(ref tr, j), TW.Add(t01, t23)), ref tr, j);
                }
                // Scalar remainder: the columns that do not fill a vector, with the same operations as a vector lane.
                for (; j < d1; j++)
                {
                    nuint k = row0 + j;
                    T m = Unsafe.Add(ref mr, j);
                    T g0 = Unsafe.Add(ref gr, k), g1 = Unsafe.Add(ref gr, k + d1), g2 = Unsafe.Add(ref gr, k + d2), g3 = Unsafe.Add(ref gr, k + d3);
                    T t01 = T.FusedMultiplyAdd(Unsafe.Add(ref xr, k) - m, g0, (Unsafe.Add(ref xr, k + d1) - m) * g1);
                    T t23 = T.FusedMultiplyAdd(Unsafe.Add(ref xr, k + d2) - m, g2, (Unsafe.Add(ref xr, k + d3) - m) * g3);
                    Unsafe.Add(ref sr, j) += (g0 + g1) + (g2 + g3);
                    Unsafe.Add(ref tr, j) += t01 + t23;
                }
            }
            else
            {
                // The last, partial group: a row loop per column vector, then per remaining column.
                for (; j + w <= d1; j += w)
                {
                    var m = TW.Load(ref mr, j);
                    var s = TW.Load(ref sr, j);
                    var t = TW.Load(ref tr, j);
                    for (nuint k = row0 + j, end = k + (nuint)g * d1; k < end; k += d1)
                    {
                        var dv = TW.Load(ref gr, k);
                        s = TW.Add(s, dv);
                        t = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k), m), dv, t);
                    }
                    TW.Store(s, ref sr, j);
                    TW.Store(t, ref tr, j);
                }
                for (; j < d1; j++)
                {
                    T m = Unsafe.Add(ref mr, j), s = Unsafe.Add(ref sr, j), t = Unsafe.Add(ref tr, j);
                    for (nuint k = row0 + j, end = k + (nuint)g * d1; k < end; k += d1)
                    {
                        T dv = Unsafe.Add(ref gr, k);
                        s += dv;
                        t = T.FusedMultiplyAdd(Unsafe.Add(ref xr, k) - m, dv, t);
                    }
                    Unsafe.Add(ref sr, j) = s;
                    Unsafe.Add(ref tr, j) = t;
                }
            }
        }
    }

    /// <summary>acc += (double)block, vectorized at up to <paramref name="widthBits"/> (exact: the widening and the float64 add are the same at every width).</summary>
    private static void Widen(ReadOnlySpan<float> block, Span<double> acc, int widthBits)
    {
        int j = 0;
        if (widthBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= block.Length; j += 16)
            {
                var v = Vector512.Create(block.Slice(j, 16));
                (Vector512.Create(acc.Slice(j, 8)) + Vector512.WidenLower(v)).CopyTo(acc.Slice(j, 8));
                (Vector512.Create(acc.Slice(j + 8, 8)) + Vector512.WidenUpper(v)).CopyTo(acc.Slice(j + 8, 8));
            }
        }
        else if (widthBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= block.Length; j += 8)
            {
                var v = Vector256.Create(block.Slice(j, 8));
                (Vector256.Create(acc.Slice(j, 4)) + Vector256.WidenLower(v)).CopyTo(acc.Slice(j, 4));
                (Vector256.Create(acc.Slice(j + 4, 4)) + Vector256.WidenUpper(v)).CopyTo(acc.Slice(j + 4, 4));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= block.Length; j += 4)
            {
                var v = Vector128.Create(block.Slice(j, 4));
                (Vector128.Create(acc.Slice(j, 2)) + Vector128.WidenLower(v)).CopyTo(acc.Slice(j, 2));
                (Vector128.Create(acc.Slice(j + 2, 2)) + Vector128.WidenUpper(v)).CopyTo(acc.Slice(j + 2, 2));
            }
        }
        for (; j < block.Length; j++) acc[j] += block[j];
    }

    private static void Check(int xLength, int doutLength, int d, int sLength, int tLength)
    {
        if (d <= 0 || xLength != doutLength || xLength % d != 0 || sLength != d || tLength != d)
            throw new ArgumentException($"column sums need x and dout of the same whole number of rows of D = {d} and accumulators of D; got {xLength}, {doutLength}, {sLength}, {tLength}.");
    }
}
