using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 2 of the NCHW backward (<see cref="SpatialFusedBackward"/>): <c>dx = a_c·dout + (b_c·x + c_c)</c> for every value of
/// channel c, two fused multiply-adds per element with the channel's constants broadcast to a vector.
/// <para>
/// The planes of channels [c0, c1) of one image are one contiguous run, and the run is written vector by vector in memory
/// order, not plane by plane: a plane of H·W values rarely fills whole vectors (7×7 = 49), and a per-plane loop would end every
/// plane with a scalar tail and, with non-temporal stores, need an alignment peel per plane, whose ordinary stores into the
/// same cache lines as the streaming ones defeat write-combining. A vector inside one plane uses that plane's broadcast
/// constants; a vector straddling two planes (one in ⌈H·W/lanes⌉ vectors at most) blends the two planes' constants at the
/// boundary lane, and only planes shorter than a vector get their constants lane by lane. The run is
/// peeled once to a 64-byte boundary of dx. Every element gets exactly the scalar operations
/// FMA(a, dout, FMA(b, x, c)), so the result does not depend on the path, the width or the thread count.
/// </para>
/// </summary>
public static class PlaneAffine
{
    /// <summary>Software prefetch distance in bytes (as <see cref="AffineRows.PrefetchBytes"/>).</summary>
    public const int PrefetchBytes = 512;

    /// <summary>
    /// Writes dx for channels [<paramref name="c0"/>, <paramref name="c1"/>) of an NCHW batch from x and dout and the
    /// per-channel constants <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/>, with software prefetch when <paramref name="prefetch"/>.
    /// </summary>
    public static unsafe void Apply<T>(T* x, T* dout, T* dx, T* a, T* b, T* c, int images, int channels, int planeSize, int c0, int c1, bool nonTemporal, bool prefetch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (prefetch) Apply<T, Prefetching>(x, dout, dx, a, b, c, images, channels, planeSize, c0, c1, nonTemporal);
        else Apply<T, NoPrefetch>(x, dout, dx, a, b, c, images, channels, planeSize, c0, c1, nonTemporal);
    }

    private static unsafe void Apply<T, TP>(T* x, T* dout, T* dx, T* a, T* b, T* c, int images, int channels, int planeSize, int c0, int c1, bool nonTemporal)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TP : struct, IPrefetchPolicy
    {
        if (Vector512.IsHardwareAccelerated) Runs<T, Vector512<T>, Width512<T>, TP>(x, dout, dx, a, b, c, images, channels, planeSize, c0, c1, nonTemporal);
        else if (Vector256.IsHardwareAccelerated) Runs<T, Vector256<T>, Width256<T>, TP>(x, dout, dx, a, b, c, images, channels, planeSize, c0, c1, nonTemporal);
        else Runs<T, Vector128<T>, Width128<T>, TP>(x, dout, dx, a, b, c, images, channels, planeSize, c0, c1, nonTemporal);
    }

    // Always fully optimized, as the 2-D kernels (see AffineRows.Rows).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Runs<T, TVec, TW, TP>(T* xp, T* gp, T* yp, T* a, T* b, T* c, int images, int channels, int planeSize, int c0, int c1, bool nonTemporal)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        // Non-temporal stores need a 64-byte boundary, which dx reaches only if its elements are aligned to their size.
        nonTemporal &= (nuint)yp % (nuint)sizeof(T) == 0;
        int w = TW.Count;
        int ahead = PrefetchBytes / sizeof(T);
        nuint vectorBytes = (nuint)(w * sizeof(T));
        // Lane constants of a vector that straddles planes (at most 64 lanes: 512-bit vectors of float).
        T* laneA = stackalloc T[64];
        T* laneB = stackalloc T[64];
        T* laneC = stackalloc T[64];
        int length = (c1 - c0) * planeSize;
        for (int n = 0; n < images; n++)
        {
            long start = ((long)n * channels + c0) * planeSize;
            T* x = xp + start;
            T* g = gp + start;
            T* y = yp + start;
            // Peel to a 64-byte boundary of dx: the non-temporal stores need it, ordinary ones then never split a line, and the
            // loads of x and dout are aligned too when they start at the same place within a line as dx (as .NET arrays of one size do).
            int e = 0;
            for (int peel = (int)Math.Min(AlignedScratch.ToBoundary(ref *y, 64), (nuint)length); e < peel; e++) Scalar(x, g, y, a, b, c, e, c0 + e / planeSize);
            int ch = c0 + e / planeSize;
            int planeEnd = (ch - c0 + 1) * planeSize;
            var va = TW.Broadcast(a[ch]);
            var vb = TW.Broadcast(b[ch]);
            var vc = TW.Broadcast(c[ch]);
            for (; e + w <= length; e += w)
            {
                if (TP.Enabled && Sse.IsSupported && ((nuint)(x + e) & 63) < vectorBytes)
                {
                    Sse.Prefetch0(x + e + ahead);
                    Sse.Prefetch0(g + e + ahead);
                }
                if (e >= planeEnd)
                {
                    // The next plane (or a later one, when planes are shorter than a vector).
                    do
                    {
                        ch++;
                        planeEnd += planeSize;
                    }
                    while (e >= planeEnd);
                    va = TW.Broadcast(a[ch]);
                    vb = TW.Broadcast(b[ch]);
                    vc = TW.Broadcast(c[ch]);
                }
                TVec dxv;
                if (e + w <= planeEnd)
                {
                    dxv = TW.FusedMultiplyAdd(va, TW.Load(ref *g, (nuint)e), TW.FusedMultiplyAdd(vb, TW.Load(ref *x, (nuint)e), vc));
                }
                else if (planeSize >= w)
                {
                    // Straddles two planes: lanes below the boundary take this channel's constants, the rest the next one's.
                    var low = TW.LowLanes(planeEnd - e);
                    dxv = TW.FusedMultiplyAdd(TW.Select(low, va, TW.Broadcast(a[ch + 1])), TW.Load(ref *g, (nuint)e),
                        TW.FusedMultiplyAdd(TW.Select(low, vb, TW.Broadcast(b[ch + 1])), TW.Load(ref *x, (nuint)e), TW.Select(low, vc, TW.Broadcast(c[ch + 1]))));
                }
                else
                {
                    // Straddles several planes (shorter than a vector): each lane's own channel's constants, walking the plane boundaries (no division:
                    // one per lane cost more than the memory traffic of the vector at 7×7 float32 planes).
                    int lc = ch, lcEnd = planeEnd;
                    for (int l = 0; l < w; l++)
                    {
                        if (e + l >= lcEnd)
                        {
                            lc++;
                            lcEnd += planeSize;
                        }
                        (laneA[l], laneB[l], laneC[l]) = (a[lc], b[lc], c[lc]);
                    }
                    dxv = TW.FusedMultiplyAdd(TW.Load(ref *laneA, 0), TW.Load(ref *g, (nuint)e),
                        TW.FusedMultiplyAdd(TW.Load(ref *laneB, 0), TW.Load(ref *x, (nuint)e), TW.Load(ref *laneC, 0)));
                }
                if (nonTemporal) TW.StoreNonTemporal(dxv, y + e);
                else TW.Store(dxv, ref *y, (nuint)e);
            }
            for (; e < length; e++) Scalar(x, g, y, a, b, c, e, c0 + e / planeSize);
        }
        if (nonTemporal && Sse.IsSupported) Sse.StoreFence();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Scalar<T>(T* x, T* g, T* y, T* a, T* b, T* c, int e, int ch) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        y[e] = T.FusedMultiplyAdd(a[ch], g[e], T.FusedMultiplyAdd(b[ch], x[e], c[ch]));
}
