using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 2 of the fused backward: for every row i and column j of a row-major block,
/// <c>dx_ij = a_j·dout_ij + (b_j·x_ij + c_j)</c>, two fused multiply-adds per element with per-column constants and no
/// division. TensorPrimitives style: one vector body, written once over <see cref="ISimdWidth{T, TVec}"/> and run at the
/// widest accelerated width (512, 256 or 128 bits), and a scalar remainder. Streaming from memory (or with non-temporal
/// stores) every vector store of dx is aligned, as in <see cref="ColumnSums"/>: rows of whole vectors as one stream of
/// aligned vectors with the constants rotated to match, other rows each from its own boundary; and x and dout, which .NET
/// arrays of one size place alike, are then aligned too. With <c>nonTemporal</c> the vector stores bypass the cache: worth
/// it only when dx is much larger than the last-level cache.
/// </summary>
public static class AffineRows
{
    /// <summary>The rotated constants of the streaming path, per thread and element type (see <see cref="AlignedScratch"/>).</summary>
    private static class Rotation<T>
    {
        [ThreadStatic] public static T[]? Buffer;
    }

    /// <summary>
    /// Software prefetch distance for x and dout, bytes ahead, one prefetch per 64-byte line, when
    /// <see cref="KernelOptions.Prefetch"/> is on (off by default: see <see cref="ColumnSums.PrefetchBytes"/>). On the AVX2
    /// EPYC VM of earlier sessions, at 16384×1024 float64 with non-temporal stores: no prefetch 89%, 256 B 93%, 512 B 93%,
    /// 1 KiB 94%, 4 KiB 84%, 16 KiB 88% of dx = x + dout with the same stores (paired rounds, spread ±5%).
    /// </summary>
    public const int PrefetchBytes = 512;

    /// <summary>float64: writes <paramref name="dx"/> (rows×d) from <paramref name="x"/> and <paramref name="dout"/> with the per-column constants a, b, c (length d).</summary>
    public static void Apply(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, Span<double> dx,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c, bool nonTemporal) =>
        Apply(x, dout, dx, a, b, c, nonTemporal, KernelOptions.Default);

    /// <summary>float32: writes <paramref name="dx"/> (rows×d) from <paramref name="x"/> and <paramref name="dout"/> with the per-column constants a, b, c (length d).</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dx,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool nonTemporal) =>
        Apply(x, dout, dx, a, b, c, nonTemporal, KernelOptions.Default);

    /// <summary>
    /// float64, at the vector width and with the prefetch setting of <paramref name="options"/> (<see cref="KernelOptions.VectorBits"/>,
    /// <see cref="KernelOptions.Prefetch"/>; its store and thread settings are the caller's business), each row aligned first when
    /// <paramref name="streaming"/> from memory: bitwise the same dx whatever they are.
    /// </summary>
    public static void Apply(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, Span<double> dx,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c, bool nonTemporal, KernelOptions options, bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        RowsAt(options.VectorBits, options.Prefetch, x, dout, dx, a, b, c, nonTemporal, streaming);
    }

    /// <summary>float32, at the vector width and with the prefetch setting of <paramref name="options"/>: bitwise the same dx whatever they are.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dx,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool nonTemporal, KernelOptions options, bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        RowsAt(options.VectorBits, options.Prefetch, x, dout, dx, a, b, c, nonTemporal, streaming);
    }

    /// <summary>
    /// The kernel at a chosen width in bits (512, 256 or 128; a width the CPU lacks runs in software, correctly but slowly):
    /// lets the tests run every width's body on any machine.
    /// </summary>
    internal static void RowsAt<T>(int widthBits, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal, bool streaming)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        RowsAt(widthBits, prefetch: true, x, dout, dx, a, b, c, nonTemporal, streaming);

    /// <summary>The kernel at a chosen width, with or without software prefetch: the one branch on either, once per call.</summary>
    internal static void RowsAt<T>(int widthBits, bool prefetch, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal, bool streaming)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, dout.Length, dx.Length, a.Length, b.Length, c.Length);
        if (prefetch) RowsAt<T, Prefetching>(widthBits, x, dout, dx, a, b, c, nonTemporal, streaming);
        else RowsAt<T, NoPrefetch>(widthBits, x, dout, dx, a, b, c, nonTemporal, streaming);
    }

    private static void RowsAt<T, TP>(int widthBits, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal, bool streaming)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TP : struct, IPrefetchPolicy
    {
        switch (widthBits)
        {
            case 512: Rows<T, Vector512<T>, Width512<T>, TP>(x, dout, dx, a, b, c, nonTemporal, streaming); break;
            case 256: Rows<T, Vector256<T>, Width256<T>, TP>(x, dout, dx, a, b, c, nonTemporal, streaming); break;
            case 128: Rows<T, Vector128<T>, Width128<T>, TP>(x, dout, dx, a, b, c, nonTemporal, streaming); break;
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
    private static unsafe void Rows<T, TVec, TW, TP>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal, bool streaming)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        int d = a.Length;
        int rows = x.Length / d;
        nuint w = (nuint)TW.Count;
        nuint ahead = (nuint)(PrefetchBytes / sizeof(T));
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T cr = ref MemoryMarshal.GetReference(c);
        // Pinned: the non-temporal path works with the raw address (alignment peel, aligned stores).
        fixed (T* yp = dx)
        {
            ref T yr = ref Unsafe.AsRef<T>(yp);
            // Non-temporal stores need a 64-byte boundary, which dx reaches only if its elements are aligned to their size
            // (always so in a .NET array; not necessarily in native memory).
            nonTemporal &= (nuint)yp % (nuint)sizeof(T) == 0;
            nuint d1 = (nuint)d, vectorBytes = w * (nuint)sizeof(T);
            if ((nonTemporal || streaming) && rows > 0 && d1 >= w && d1 % w == 0)
            {
                // Rows of whole vectors (as in ColumnSums' streaming body): one stream of aligned vectors from dx's first
                // boundary (a whole line for non-temporal stores), cut into virtual rows of d elements, with the constants
                // rotated to match (copied into aligned scratch). Elementwise, so the bits are those of any other order.
                nuint first = Math.Min(AlignedScratch.ToBoundary(ref yr, nonTemporal ? 64 : vectorBytes), d1), back = d1 - first;
                var rotated = AlignedScratch.Get(ref Rotation<T>.Buffer, 3 * d);
                AlignedScratch.Rotate(a, rotated[..d], (int)first);
                AlignedScratch.Rotate(b, rotated.Slice(d, d), (int)first);
                AlignedScratch.Rotate(c, rotated.Slice(2 * d, d), (int)first);
                ref T aq = ref MemoryMarshal.GetReference(rotated);
                ref T bq = ref Unsafe.Add(ref aq, d1);
                ref T cq = ref Unsafe.Add(ref aq, 2 * d1);
                // Row 0's columns before the boundary, the whole virtual rows, then the last row's columns from the boundary on.
                nuint e = 0;
                for (; e < first; e++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, 0, e);
                for (int r = 0; r < rows - 1; r++)
                    for (nuint v = 0; v < d1; v += w, e += w) Vector<T, TVec, TW, TP>(ref xr, ref gr, yp, ref aq, ref bq, ref cq, e, v, nonTemporal, vectorBytes, ahead);
                nuint u = 0;
                for (; u + w <= back; u += w, e += w) Vector<T, TVec, TW, TP>(ref xr, ref gr, yp, ref aq, ref bq, ref cq, e, u, nonTemporal, vectorBytes, ahead);
                for (; u < back; u++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, (nuint)(rows - 1) * d1, first + u);
                if (nonTemporal && Sse.IsSupported) Sse.StoreFence();
                return;
            }
            for (int i = 0; i < rows; i++)
            {
                nuint row = (nuint)i * d1;
                // Rows that are not whole vectors: streaming from memory, or with non-temporal stores, each row's vector loop
                // starts at its own boundary of dx (64 bytes for non-temporal stores, which need a whole line), so no vector
                // store splits a line; in the caches it starts at column 0 (split accesses cost less there than the masked
                // head). The columns before and after it: one masked vector each with ordinary stores (lanes outside the mask
                // store dx's own values back), scalar with non-temporal ones (an ordinary store into a line the streaming
                // stores write would defeat write-combining).
                nuint j = 0;
                if (d1 < w)
                {
                    for (; j < d1; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                    continue;
                }
                nuint head = nonTemporal || streaming ? Math.Min(AlignedScratch.ToBoundary(ref Unsafe.Add(ref yr, row), nonTemporal ? 64 : vectorBytes), d1) : 0;
                if (nonTemporal)
                    for (; j < head; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                else if (head != 0)
                    Masked<T, TVec, TW>(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, 0, TW.LowLanes((int)head), whereSet: true);
                j = head;
                for (; j + w <= d1; j += w)
                {
                    if (TP.Enabled && Sse.IsSupported && (((nuint)(yp + row + j) & 63) < vectorBytes))
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + ahead)));
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + ahead)));
                    }
                    var dxv = TW.FusedMultiplyAdd(TW.Load(ref ar, j), TW.Load(ref gr, row + j),
                        TW.FusedMultiplyAdd(TW.Load(ref br, j), TW.Load(ref xr, row + j), TW.Load(ref cr, j)));
                    if (nonTemporal) TW.StoreNonTemporal(dxv, yp + row + j);
                    else TW.Store(dxv, ref yr, row + j);
                }
                if (nonTemporal)
                    for (; j < d1; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                else if (j < d1)
                    Masked<T, TVec, TW>(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, d1 - w, TW.LowLanes((int)(j - (d1 - w))), whereSet: false);
            }
            if (nonTemporal && Sse.IsSupported) Sse.StoreFence();
        }
    }

    /// <summary>One aligned vector of dx at element <paramref name="e"/>, with the (rotated) constants at <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Vector<T, TVec, TW, TP>(ref T xr, ref T gr, T* yp, ref T aq, ref T bq, ref T cq, nuint e, nuint v, bool nonTemporal,
        nuint vectorBytes, nuint ahead)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        if (TP.Enabled && Sse.IsSupported && (((nuint)(yp + e) & 63) < vectorBytes))
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, e + ahead)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, e + ahead)));
        }
        var dxv = TW.FusedMultiplyAdd(TW.Load(ref aq, v), TW.Load(ref gr, e), TW.FusedMultiplyAdd(TW.Load(ref bq, v), TW.Load(ref xr, e), TW.Load(ref cq, v)));
        if (nonTemporal) TW.StoreNonTemporal(dxv, yp + e);
        else TW.Store(dxv, ref Unsafe.AsRef<T>(yp), e);
    }

    /// <summary>One vector at column <paramref name="j0"/> of which only the lanes in <paramref name="mask"/> (whereSet) or outside it get their dx; the others store dx's own values back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Masked<T, TVec, TW>(ref T xr, ref T gr, ref T yr, ref T ar, ref T br, ref T cr, nuint row, nuint j0, TVec mask, bool whereSet)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
    {
        var old = TW.Load(ref yr, row + j0);
        var dxv = TW.FusedMultiplyAdd(TW.Load(ref ar, j0), TW.Load(ref gr, row + j0),
            TW.FusedMultiplyAdd(TW.Load(ref br, j0), TW.Load(ref xr, row + j0), TW.Load(ref cr, j0)));
        TW.Store(whereSet ? TW.Select(mask, dxv, old) : TW.Select(mask, old, dxv), ref yr, row + j0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar<T>(ref T xr, ref T gr, ref T yr, ref T ar, ref T br, ref T cr, nuint row, nuint j)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Unsafe.Add(ref yr, row + j) = T.FusedMultiplyAdd(Unsafe.Add(ref ar, j), Unsafe.Add(ref gr, row + j),
            T.FusedMultiplyAdd(Unsafe.Add(ref br, j), Unsafe.Add(ref xr, row + j), Unsafe.Add(ref cr, j)));

    private static void Check(int xLength, int doutLength, int dxLength, int d, int bLength, int cLength)
    {
        if (d <= 0 || xLength != doutLength || xLength != dxLength || xLength % d != 0 || bLength != d || cLength != d)
            throw new ArgumentException($"the affine pass needs x, dout and dx of the same whole number of rows of D = {d} and constants of D; got {xLength}, {doutLength}, {dxLength}, {bLength}, {cLength}.");
    }
}
