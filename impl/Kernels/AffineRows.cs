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
    public static unsafe void Apply(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, Span<double> dx,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c, bool nonTemporal)
    {
        int d = a.Length;
        Check(x.Length, dout.Length, dx.Length, d, b.Length, c.Length);
        int rows = x.Length / d;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double gr = ref MemoryMarshal.GetReference(dout);
        // Pinned: the non-temporal path works with the raw address (alignment peel, aligned stores).
        fixed (double* yp = dx)
        {
        ref double yr = ref Unsafe.AsRef<double>(yp);
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double br = ref MemoryMarshal.GetReference(b);
        ref double cr = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)i * (nuint)d;
            nuint j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                const int W = 8;
                const nuint Ahead = PrefetchBytes / sizeof(double);
                if (nonTemporal)
                {
                    // Peel to a 64-byte boundary of dx (doubles are 8-byte aligned, so this is a whole number of elements).
                    nuint misalign = (nuint)(yp + row) % 64;
                    nuint peel = misalign == 0 ? 0 : Math.Min((64 - misalign) / sizeof(double), (nuint)d);
                    for (; j < peel; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                    for (; j + W <= (nuint)d; j += W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreAlignedNonTemporal(yp + row + j);
                    }
                }
                else
                {
                    for (; j + W <= (nuint)d; j += W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreUnsafe(ref yr, row + j);
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                const int W = 4;
                for (; j + W <= (nuint)d; j += W)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref ar, j), Vector256.LoadUnsafe(ref gr, row + j),
                            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref br, j), Vector256.LoadUnsafe(ref xr, row + j), Vector256.LoadUnsafe(ref cr, j)))
                        .StoreUnsafe(ref yr, row + j);
            }
            for (; j < (nuint)d; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
        }
        if (nonTemporal && System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
        }
    }

    /// <summary>float32: writes <paramref name="dx"/> (rows×d) from <paramref name="x"/> and <paramref name="dout"/> with the per-column constants a, b, c (length d).</summary>
    public static unsafe void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, Span<float> dx,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, bool nonTemporal)
    {
        int d = a.Length;
        Check(x.Length, dout.Length, dx.Length, d, b.Length, c.Length);
        int rows = x.Length / d;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dout);
        // Pinned: the non-temporal path works with the raw address (alignment peel, aligned stores).
        fixed (float* yp = dx)
        {
        ref float yr = ref Unsafe.AsRef<float>(yp);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float cr = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)i * (nuint)d;
            nuint j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                const int W = 16;
                const nuint Ahead = PrefetchBytes / sizeof(float);
                if (nonTemporal)
                {
                    nuint misalign = (nuint)(yp + row) % 64;
                    nuint peel = misalign == 0 ? 0 : Math.Min((64 - misalign) / sizeof(float), (nuint)d);
                    for (; j < peel; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
                    for (; j + W <= (nuint)d; j += W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreAlignedNonTemporal(yp + row + j);
                    }
                }
                else
                {
                    for (; j + W <= (nuint)d; j += W)
                    {
                        if (Sse.IsSupported)
                        {
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, row + j + Ahead)));
                            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, row + j + Ahead)));
                        }
                        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, j), Vector512.LoadUnsafe(ref gr, row + j),
                                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref br, j), Vector512.LoadUnsafe(ref xr, row + j), Vector512.LoadUnsafe(ref cr, j)))
                            .StoreUnsafe(ref yr, row + j);
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                const int W = 8;
                for (; j + W <= (nuint)d; j += W)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref ar, j), Vector256.LoadUnsafe(ref gr, row + j),
                            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref br, j), Vector256.LoadUnsafe(ref xr, row + j), Vector256.LoadUnsafe(ref cr, j)))
                        .StoreUnsafe(ref yr, row + j);
            }
            for (; j < (nuint)d; j++) Scalar(ref xr, ref gr, ref yr, ref ar, ref br, ref cr, row, j);
        }
        if (nonTemporal && System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(ref double xr, ref double gr, ref double yr, ref double ar, ref double br, ref double cr, nuint row, nuint j) =>
        Unsafe.Add(ref yr, row + j) = Math.FusedMultiplyAdd(Unsafe.Add(ref ar, j), Unsafe.Add(ref gr, row + j),
            Math.FusedMultiplyAdd(Unsafe.Add(ref br, j), Unsafe.Add(ref xr, row + j), Unsafe.Add(ref cr, j)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(ref float xr, ref float gr, ref float yr, ref float ar, ref float br, ref float cr, nuint row, nuint j) =>
        Unsafe.Add(ref yr, row + j) = MathF.FusedMultiplyAdd(Unsafe.Add(ref ar, j), Unsafe.Add(ref gr, row + j),
            MathF.FusedMultiplyAdd(Unsafe.Add(ref br, j), Unsafe.Add(ref xr, row + j), Unsafe.Add(ref cr, j)));

    private static void Check(int xLength, int doutLength, int dxLength, int d, int bLength, int cLength)
    {
        if (d <= 0 || xLength != doutLength || xLength != dxLength || xLength % d != 0 || bLength != d || cLength != d)
            throw new ArgumentException($"the affine pass needs x, dout and dx of the same whole number of rows of D = {d} and constants of D; got {xLength}, {doutLength}, {dxLength}, {bLength}, {cLength}.");
    }
}
