using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 1 of the fused backward: per-column sums over a block of rows of a row-major batch,
/// <c>sumDout_j += Σ_i dout_ij</c> and <c>sumDoutXmu_j += Σ_i (x_ij − mean_j)·dout_ij</c>.
/// Because the layout is row-major, the column accumulators are vectors across the D dimension that stay in L1. Two bodies,
/// chosen per call by the caller (<see cref="KernelOptions.StreamingThresholdBytes"/>), add the rows in the same order and
/// so return the same bits: for data in the caches, <see cref="RowsPerGroup"/> rows are added into each column vector in
/// registers, so the accumulators are loaded and stored once per group; for data streamed from memory, one row at a time
/// (two sequential read streams, the pattern the hardware prefetchers follow best), with every vector load aligned: when
/// rows are whole vectors, the block is read as one stream of aligned vectors from x's first boundary, with the mean and
/// the accumulators rotated to match; otherwise each row's vector loop starts at its own boundary, the columns before and
/// after it one masked vector each. An ordinary .NET array of this size starts a multiple of 8 bytes past a line boundary (often 24), where every
/// unaligned 64-byte load splits across two cache lines (<see cref="AlignedScratch.ToBoundary{T}"/>).
/// Measured on the 2-core AVX-512 EPYC VM at 16384×1024 float32 (interleaved rounds of a standalone harness, data 24 bytes
/// past a boundary as in a .NET array): split 64-byte loads made even a plain two-stream sum about 1.6× slower
/// (4.6–5.2 ms against 2.8–3.3 ms aligned); on aligned data four rows per group with software prefetch took 4.4–5.5 ms
/// and one row at a time without prefetch 3.1–3.4 ms. In the caches the masked head and the per-row accumulator traffic
/// cost more than split loads: at 128×64 the streaming body is 1.5–2.1× slower (README, "Alignment and prefetch").
/// TensorPrimitives style: one vector body, written once over <see cref="ISimdWidth{T, TVec}"/> and run at the widest
/// accelerated width (512, 256 or 128 bits), then a scalar remainder for the columns that do not fill a vector. The scalar
/// remainder repeats a vector lane's operations in the same order, so the sums are bitwise the same at every width: an
/// AVX2 and an AVX-512 machine return identical gradients.
/// </summary>
public static class ColumnSums
{
    /// <summary>How many rows <see cref="Grouped{T, TVec, TW}"/> adds in registers before it stores the accumulators.</summary>
    public const int RowsPerGroup = 4;

    /// <summary>
    /// Software prefetch distance, bytes ahead in x and dout, one prefetch per 64-byte line, when
    /// <see cref="KernelOptions.Prefetch"/> is on (off by default). 512 B was the best distance on the AVX2 EPYC VM of
    /// earlier sessions (81% of a plain two-stream sum's speed against 78% without); on the AVX-512 EPYC VM (Zen 5) the
    /// hardware prefetchers do better alone: the whole backward with it on measured 4–24% slower (README, "Prefetch").
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
    /// <see cref="KernelOptions.Prefetch"/>), in the body for data <paramref name="streaming"/> from memory (one row at a time,
    /// aligned) or in the caches (rows in groups); the result is bitwise the same whatever they are.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, ReadOnlySpan<double> mean,
        Span<double> sumDout, Span<double> sumDoutXmu, KernelOptions options, bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        SumsAt(options.VectorBits, options.Prefetch, streaming, x, dout, mean, sumDout, sumDoutXmu);
    }

    /// <summary>Rows per float32 block: the float32 column sums cover at most this many rows before they are widened into float64.</summary>
    public const int Float32BlockRows = 256;

    /// <summary>
    /// float32 data, float64 accumulators: blocks of <see cref="Float32BlockRows"/> rows are summed in float32 (row by row,
    /// into float32 column accumulators that stay in L1), and each block's sums are widened to float64
    /// and added to <paramref name="sumDout"/> and <paramref name="sumDoutXmu"/>. The float32 rounding then acts on at most
    /// 256 terms added in sequence: the accumulated error is at most about min(N, 256)·u32 + N·u64 of the sum of magnitudes
    /// instead of N·u32 for a plain float32 accumulation, inside the checker's 8·u32·(N + 4 + κ) allowance by a factor of at
    /// least 8 for any N (and by N/32 beyond 256 rows), and the per-line work is that of the float64 kernel (the widening
    /// happens once per block). 256 rows, one block per <see cref="FusedBackward.ChunkRows"/> chunk: 64-row blocks, with four clears and widenings
    /// per chunk, measured 82% instead of 88% of the yardstick at 16384×1024 (paired rounds).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> mean,
        Span<double> sumDout, Span<double> sumDoutXmu) =>
        Accumulate(x, dout, mean, sumDout, sumDoutXmu, KernelOptions.Default);

    /// <summary>
    /// As <see cref="Accumulate(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{double}, Span{double})"/>,
    /// at the vector width and with the prefetch setting of <paramref name="options"/>, in the body for data
    /// <paramref name="streaming"/> from memory or in the caches; the result is bitwise the same whatever they are.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> mean,
        Span<double> sumDout, Span<double> sumDoutXmu, KernelOptions options, bool streaming = false)
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
            SumsAt(width, prefetch, streaming, x.Slice(b0 * d, blockRows * d), dout.Slice(b0 * d, blockRows * d), mean, blockDout, blockDoutXmu);
            Widen(blockDout, sumDout, width);
            Widen(blockDoutXmu, sumDoutXmu, width);
        }
    }

    /// <summary>The float32 block sums' scratch, per thread (see <see cref="AlignedScratch"/>).</summary>
    [ThreadStatic] private static float[]? _float32Block;

    /// <summary>The rotated mean and accumulators of the streaming body, per thread and element type (see <see cref="AlignedScratch"/>).</summary>
    private static class Rotation<T>
    {
        [ThreadStatic] public static T[]? Buffer;
    }

    /// <summary>
    /// The kernel at a chosen width in bits (512, 256 or 128; a width the CPU lacks runs in software, correctly but slowly):
    /// lets the tests run every width's body on any machine.
    /// </summary>
    internal static void SumsAt<T>(int widthBits, bool streaming, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        SumsAt(widthBits, prefetch: true, streaming, x, dout, mean, sumDout, sumDoutXmu);

    /// <summary>The kernel at a chosen width, with or without software prefetch, in either body: one branch on each, once per call.</summary>
    internal static void SumsAt<T>(int widthBits, bool prefetch, bool streaming, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, dout.Length, mean.Length, sumDout.Length, sumDoutXmu.Length);
        if (prefetch) SumsAt<T, Prefetching>(widthBits, streaming, x, dout, mean, sumDout, sumDoutXmu);
        else SumsAt<T, NoPrefetch>(widthBits, streaming, x, dout, mean, sumDout, sumDoutXmu);
    }

    private static void SumsAt<T, TP>(int widthBits, bool streaming, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TP : struct, IPrefetchPolicy
    {
        switch (widthBits, streaming)
        {
            case (512, true): Streaming<T, Vector512<T>, Width512<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            case (256, true): Streaming<T, Vector256<T>, Width256<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            case (128, true): Streaming<T, Vector128<T>, Width128<T>, TP>(x, dout, mean, sumDout, sumDoutXmu); break;
            case (512, false): Grouped<T, Vector512<T>, Width512<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            case (256, false): Grouped<T, Vector256<T>, Width256<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            case (128, false): Grouped<T, Vector128<T>, Width128<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            default: throw new ArgumentOutOfRangeException(nameof(widthBits), widthBits, "the vector width is 512, 256 or 128 bits.");
        }
    }

    /// <summary>
    /// The body for data in the caches, at one vector width <typeparamref name="TVec"/> (see <see cref="ISimdWidth{T, TVec}"/>):
    /// groups of <see cref="RowsPerGroup"/> rows are added into each column vector in registers, one row after the other, so
    /// the accumulators are loaded and stored once per group instead of once per row. The rows are added in the same order
    /// as <see cref="Streaming{T, TVec, TW, TP}"/> adds them, so the two bodies return the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Grouped<T, TVec, TW>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
    {
        int d = mean.Length;
        int rows = x.Length / d;
        nuint w = (nuint)TW.Count;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        ref T mr = ref MemoryMarshal.GetReference(mean);
        ref T sr = ref MemoryMarshal.GetReference(sumDout);
        ref T tr = ref MemoryMarshal.GetReference(sumDoutXmu);
        nuint d1 = (nuint)d, d2 = 2 * d1, d3 = 3 * d1;
        int i0 = 0;
        for (; i0 + RowsPerGroup <= rows; i0 += RowsPerGroup)
        {
            nuint row0 = (nuint)i0 * d1;
            nuint j = 0;
            for (; j + w <= d1; j += w)
            {
                nuint k = row0 + j;
                var m = TW.Load(ref mr, j);
                var g0 = TW.Load(ref gr, k);
                var g1 = TW.Load(ref gr, k + d1);
                var g2 = TW.Load(ref gr, k + d2);
                var g3 = TW.Load(ref gr, k + d3);
                TW.Store(TW.Add(TW.Add(TW.Add(TW.Add(TW.Load(ref sr, j), g0), g1), g2), g3), ref sr, j);
                var t = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k), m), g0, TW.Load(ref tr, j));
                t = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k + d1), m), g1, t);
                t = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k + d2), m), g2, t);
                TW.Store(TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k + d3), m), g3, t), ref tr, j);
            }
            // Scalar remainder: the columns that do not fill a vector, row after row like a lane.
            for (; j < d1; j++)
                for (nuint r = 0; r < (nuint)RowsPerGroup; r++) Scalar(ref xr, ref gr, ref mr, ref sr, ref tr, row0 + r * d1 + j, j);
        }
        // The last rows that do not fill a group: one at a time.
        for (; i0 < rows; i0++)
        {
            nuint row = (nuint)i0 * d1;
            nuint j = 0;
            for (; j + w <= d1; j += w)
            {
                var dv = TW.Load(ref gr, row + j);
                TW.Store(TW.Add(TW.Load(ref sr, j), dv), ref sr, j);
                TW.Store(TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, row + j), TW.Load(ref mr, j)), dv, TW.Load(ref tr, j)), ref tr, j);
            }
            for (; j < d1; j++) Scalar(ref xr, ref gr, ref mr, ref sr, ref tr, row + j, j);
        }
    }

    /// <summary>
    /// The body for data streamed from memory, at one vector width <typeparamref name="TVec"/> (see
    /// <see cref="ISimdWidth{T, TVec}"/>): one row at a time (two sequential read streams), each row's vector loop starting at
    /// x's next vector boundary; prefetching when <typeparamref name="TP"/> says so (a JIT-time constant: the body without
    /// prefetch has no test for it).
    /// </summary>
    // Always fully optimized: a kernel called a few times on large data would otherwise run its loop as tier-0 or
    // on-stack-replacement code, which spills loop variables: the whole backward at 16384×1024 measured 75% instead of 85%
    // of the roofline in float64 and 87% instead of 102% in float32 that way (paired rounds, AVX2 VM), about 12–15% slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Streaming<T, TVec, TW, TP>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        int d = mean.Length;
        int rows = x.Length / d;
        nuint w = (nuint)TW.Count;
        nuint ahead = (nuint)(PrefetchBytes / sizeof(T)); // prefetch never faults, even past the end
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        ref T mr = ref MemoryMarshal.GetReference(mean);
        ref T sr = ref MemoryMarshal.GetReference(sumDout);
        ref T tr = ref MemoryMarshal.GetReference(sumDoutXmu);
        nuint d1 = (nuint)d, vectorBytes = w * (nuint)sizeof(T);
        if (rows == 0) return; // the rotated path would read before its first row
        if (d1 < w)
        {
            // Rows narrower than a vector: scalar.
            for (nuint k = 0, row = 0; k < (nuint)rows; k++, row += d1)
                for (nuint j = 0; j < d1; j++) Scalar(ref xr, ref gr, ref mr, ref sr, ref tr, row + j, j);
            return;
        }
        if (d1 % w == 0)
        {
            // Rows of whole vectors: every row then starts at the same place within a vector, so the block is read as one
            // stream of aligned vectors that begins at x's first vector boundary, `first` elements in, cut into "virtual
            // rows" of d elements: the end of one row (columns first..d−1) and the start of the next (columns 0..first−1).
            // The mean and the accumulators are used rotated by `first` (copied into aligned scratch and back), so no access
            // splits a cache line and each column still adds its rows in row order, with the same bits as the other bodies.
            nuint first = AlignedScratch.ToBoundary(ref xr, vectorBytes), back = d1 - first;
            var rotated = AlignedScratch.Get(ref Rotation<T>.Buffer, 3 * d);
            AlignedScratch.Rotate<T>(mean, rotated[..d], (int)first);
            AlignedScratch.Rotate<T>(sumDout, rotated.Slice(d, d), (int)first);
            AlignedScratch.Rotate<T>(sumDoutXmu, rotated.Slice(2 * d, d), (int)first);
            ref T mq = ref MemoryMarshal.GetReference(rotated);
            ref T sq = ref Unsafe.Add(ref mq, d1);
            ref T tq = ref Unsafe.Add(ref mq, 2 * d1);
            // Row 0's columns before the boundary, then the whole virtual rows, then the last row's columns from the boundary on.
            for (nuint j = 0; j < first; j++) Scalar(ref xr, ref gr, ref mq, ref sq, ref tq, j, back + j);
            nuint k = first;
            for (int r = 0; r < rows - 1; r++, k += d1)
                for (nuint v = 0; v < d1; v += w) Vector(ref xr, ref gr, ref mq, ref sq, ref tq, k + v, v, vectorBytes, ahead);
            nuint u = 0;
            for (; u + w <= back; u += w) Vector(ref xr, ref gr, ref mq, ref sq, ref tq, k + u, u, vectorBytes, ahead);
            for (; u < back; u++) Scalar(ref xr, ref gr, ref mq, ref sq, ref tq, k + u, u);
            AlignedScratch.Unrotate<T>(rotated.Slice(d, d), sumDout, (int)first);
            AlignedScratch.Unrotate<T>(rotated.Slice(2 * d, d), sumDoutXmu, (int)first);
            return;
        }

        // Rows that are not whole vectors start at different places within a vector: each row's vector loop starts at its
        // own boundary of x, and the columns before and after it are one masked vector each.
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)i * d1;
            nuint head = AlignedScratch.ToBoundary(ref Unsafe.Add(ref xr, row), vectorBytes);
            if (head != 0) Masked(ref xr, ref gr, ref mr, ref sr, ref tr, row, 0, TW.LowLanes((int)head), whereSet: true);
            nuint j = head;
            for (; j + w <= d1; j += w)
            {
                Vector(ref xr, ref gr, ref mr, ref sr, ref tr, row + j, j, vectorBytes, ahead);
            }
            // The columns after the last whole vector: the row's last vector, its lanes below j (done already) left alone.
            if (j < d1) Masked(ref xr, ref gr, ref mr, ref sr, ref tr, row, d1 - w, TW.LowLanes((int)(j - (d1 - w))), whereSet: false);
        }

        // One vector: the data at element e, the (rotated) mean and accumulators at v.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Vector(ref T xr, ref T gr, ref T mq, ref T sq, ref T tq, nuint e, nuint v, nuint vectorBytes, nuint ahead)
        {
            if (TP.Enabled && Sse.IsSupported && (((nuint)Unsafe.AsPointer(ref Unsafe.Add(ref xr, e)) & 63) < vectorBytes))
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, e + ahead)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, e + ahead)));
            }
            var dv = TW.Load(ref gr, e);
            TW.Store(TW.Add(TW.Load(ref sq, v), dv), ref sq, v);
            TW.Store(TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, e), TW.Load(ref mq, v)), dv, TW.Load(ref tq, v)), ref tq, v);
        }

        // One vector at column j0 in which only the lanes in mask (whereSet) or outside it (!whereSet) are accumulated.
        static void Masked(ref T xr, ref T gr, ref T mr, ref T sr, ref T tr, nuint row, nuint j0, TVec mask, bool whereSet)
        {
            var dv = TW.Load(ref gr, row + j0);
            var s = TW.Load(ref sr, j0);
            var t = TW.Load(ref tr, j0);
            var s1 = TW.Add(s, dv);
            var t1 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, row + j0), TW.Load(ref mr, j0)), dv, t);
            TW.Store(whereSet ? TW.Select(mask, s1, s) : TW.Select(mask, s, s1), ref sr, j0);
            TW.Store(whereSet ? TW.Select(mask, t1, t) : TW.Select(mask, t, t1), ref tr, j0);
        }
    }

    /// <summary>One element, with a vector lane's operations in the same order: the data at element <paramref name="e"/>, the mean and the accumulators at <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar<T>(ref T xr, ref T gr, ref T mr, ref T sr, ref T tr, nuint e, nuint v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T dv = Unsafe.Add(ref gr, e);
        Unsafe.Add(ref sr, v) += dv;
        Unsafe.Add(ref tr, v) = T.FusedMultiplyAdd(Unsafe.Add(ref xr, e) - Unsafe.Add(ref mr, v), dv, Unsafe.Add(ref tr, v));
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
