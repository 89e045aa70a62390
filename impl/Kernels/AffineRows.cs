using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 2 of the fused backward: for every row i and column j of a row-major block,
/// <c>dx_ij = a_j·dout_ij + (b_j·x_ij + c_j)</c>, two fused multiply-adds per element with per-column constants and no
/// division. TensorPrimitives style: an explicit <see cref="Vector512"/> body (or <see cref="Vector256"/>) and a scalar
/// remainder. With <c>nonTemporal</c> the vector stores bypass the cache (each row is first peeled to a 64-byte
/// boundary with scalar stores): worth it only when dx is much larger than the last-level cache.
/// </summary>
public static class AffineRows
{
    /// <summary>
    /// Software prefetch distance for x and dout, bytes ahead. As in <see cref="ColumnSums.PrefetchBytes"/>: one core keeps too
    /// few misses in flight with five loads, two FMAs and a store per line; prefetching 16 KiB ahead measured ~30% faster
    /// at 16384×1024 float64 (the speed of a plain dx = x + dout with the same stores).
    /// </summary>
    public const int PrefetchBytes = 16384;

    /// <summary>float64: writes <paramref name="dx"/> (rows×d) from <paramref name="x"/> and <paramref name="dout"/> with the per-column constants a, b, c (length d).</summary>
    public static void Apply(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, Span<double> dx,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c, bool nonTemporal)
    {
        Check(x.Length, dout.Length, dx.Length, a.Length, b.Length, c.Length);
        Rows(x, dout, dx, a, b, c, nonTemporal);
    }

    /// <summary>float32: writes <paramref name="dx"/> (rows×d) from <paramref name="x"/> and <paramref name="dout"/> with the per-column constants a, b, c (length d).</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dx,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool nonTemporal)
    {
        Check(x.Length, dout.Length, dx.Length, a.Length, b.Length, c.Length);
        Rows(x, dout, dx, a, b, c, nonTemporal);
    }

    /// <summary>The kernel itself, for float64 and float32 alike (lengths already checked).</summary>
    private static unsafe void Rows<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = a.Length;
        int rows = x.Length / d;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        // Pinned: the non-temporal path works with the raw address (alignment peel, aligned stores).
        fixed (T* yp = dx)
        {
        ref T yr = ref Unsafe.AsRef<T>(yp);
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T cr = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)i * (nuint)d;
            nuint j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                int W = Vector512<T>.Count;
                nuint Ahead = (nuint)(PrefetchBytes / sizeof(T));
                if (nonTemporal)
                {
                    // Peel to a 64-byte boundary of dx (elements are aligned to their size, so this is a whole number of elements).
                    nuint misalign = (nuint)(yp + row) % 64;
                    nuint peel = misalign == 0 ? 0 : Math.Min((64 - misalign) / (nuint)sizeof(T), (nuint)d);
                    for (; j < peel; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                    for (; j + (nuint)W <= (nuint)d; j += (nuint)W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        VectorFma.Fma(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                VectorFma.Fma(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreAlignedNonTemporal(yp + row + j);
                    }
                }
                else
                {
                    for (; j + (nuint)W <= (nuint)d; j += (nuint)W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        VectorFma.Fma(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                VectorFma.Fma(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreUnsafe(ref yr, row + j);
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                int W = Vector256<T>.Count;
                for (; j + (nuint)W <= (nuint)d; j += (nuint)W)
                    VectorFma.Fma(Vector256.LoadUnsafe(ref ar, j), Vector256.LoadUnsafe(ref gr, row + j),
                            VectorFma.Fma(Vector256.LoadUnsafe(ref br, j), Vector256.LoadUnsafe(ref xr, row + j), Vector256.LoadUnsafe(ref cr, j)))
                        .StoreUnsafe(ref yr, row + j);
            }
            for (; j < (nuint)d; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
        }
        if (nonTemporal && System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
        }
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
