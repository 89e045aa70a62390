using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 1 of the NCHW backward (<see cref="SpatialFusedBackward"/>): per channel c, <c>sumDout_c += Σ dout</c> and
/// <c>sumDoutXmu_c += Σ (x − mean_c)·dout</c> over every plane of that channel. In NCHW a channel's values are N planes of
/// H·W contiguous numbers, so where the 2-D kernel (<see cref="ColumnSums"/>) keeps vectors of column accumulators across a
/// row, this one reduces each plane along its length: two vector accumulators per sum, then a horizontal sum per plane.
/// It walks the batch in memory order (image by image, the planes of channels [c0, c1) in turn), so x and dout are read as
/// one forward stream each per image, with one software prefetch per 64-byte line 512 B ahead when <see cref="KernelOptions.Prefetch"/> is on (off by default, as for the 2-D kernels).
/// <para>
/// Float32: a plane is summed in float32 lanes in blocks of at most <see cref="Float32BlockElements"/> values, each block's
/// sum widened to float64 and added to the channel's float64 accumulator. A block's error is then at most about
/// (block/(2·lanes) + log2 lanes)·u32 of the sum of magnitudes (≤ 130·u32 at 8 lanes) plus N·H·W·u64 for the float64
/// additions: far inside the checker's 8·u32·(N·H·W + 4 + κ) allowance, since a block never holds more values than N·H·W.
/// The lane grouping depends on the vector width, so unlike the 2-D kernel's the sums are not bitwise the same at every
/// width (they are the same at any thread count: a channel is always summed by one worker, in the same order).
/// </para>
/// </summary>
public static class PlaneSums
{
    /// <summary>Values per float32 block before its sum is widened to float64.</summary>
    public const int Float32BlockElements = 2048;

    /// <summary>Software prefetch distance in bytes (as <see cref="ColumnSums.PrefetchBytes"/>).</summary>
    public const int PrefetchBytes = 512;

    /// <summary>
    /// Adds the sums of channels [<paramref name="c0"/>, <paramref name="c1"/>) of an NCHW batch (<paramref name="images"/>
    /// images of <paramref name="channels"/> planes of <paramref name="planeSize"/> values at <paramref name="x"/> and
    /// <paramref name="dout"/>) into <paramref name="sumDout"/>[c] and <paramref name="sumDoutXmu"/>[c], with mean[c] subtracted, with software prefetch when <paramref name="prefetch"/>.
    /// </summary>
    public static unsafe void Accumulate<T>(T* x, T* dout, T* mean, double* sumDout, double* sumDoutXmu, int images, int channels, int planeSize, int c0, int c1,
        bool prefetch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (prefetch) Accumulate<T, Prefetching>(x, dout, mean, sumDout, sumDoutXmu, images, channels, planeSize, c0, c1);
        else Accumulate<T, NoPrefetch>(x, dout, mean, sumDout, sumDoutXmu, images, channels, planeSize, c0, c1);
    }

    private static unsafe void Accumulate<T, TP>(T* x, T* dout, T* mean, double* sumDout, double* sumDoutXmu, int images, int channels, int planeSize, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TP : struct, IPrefetchPolicy
    {
        if (Vector512.IsHardwareAccelerated) Sums<T, Vector512<T>, Width512<T>, TP>(x, dout, mean, sumDout, sumDoutXmu, images, channels, planeSize, c0, c1);
        else if (Vector256.IsHardwareAccelerated) Sums<T, Vector256<T>, Width256<T>, TP>(x, dout, mean, sumDout, sumDoutXmu, images, channels, planeSize, c0, c1);
        else Sums<T, Vector128<T>, Width128<T>, TP>(x, dout, mean, sumDout, sumDoutXmu, images, channels, planeSize, c0, c1);
    }

    // Always fully optimized, as the 2-D kernels (see ColumnSums.Sums): called a few times on large data, it would otherwise run as tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Sums<T, TVec, TW, TP>(T* xp, T* gp, T* mean, double* sumDout, double* sumDoutXmu, int images, int channels, int planeSize, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
        where TP : struct, IPrefetchPolicy
    {
        int w = TW.Count;
        int block = typeof(T) == typeof(float) ? Float32BlockElements : int.MaxValue;
        int ahead = PrefetchBytes / sizeof(T);
        int step = 2 * w;
        bool second = step * sizeof(T) > 64; // a step wider than a line (512-bit vectors) needs two prefetches per stream
        for (int n = 0; n < images; n++)
        {
            for (int ch = c0; ch < c1; ch++)
            {
                long offset = ((long)n * channels + ch) * planeSize;
                T* x = xp + offset;
                T* g = gp + offset;
                T ms = mean[ch];
                var m = TW.Broadcast(ms);
                double accDout = 0, accXmu = 0;
                for (int b0 = 0; b0 < planeSize; b0 += block)
                {
                    int end = Math.Min(planeSize, b0 + block);
                    var s0 = TW.Zero;
                    var s1 = TW.Zero;
                    var t0 = TW.Zero;
                    var t1 = TW.Zero;
                    int j = b0;
                    // Two vectors per step into two accumulators per sum (shorter dependency chains).
                    for (; j + step <= end; j += step)
                    {
                        if (TP.Enabled && Sse.IsSupported)
                        {
                            Sse.Prefetch0(x + j + ahead);
                            Sse.Prefetch0(g + j + ahead);
                            if (second)
                            {
                                Sse.Prefetch0(x + j + ahead + 64 / sizeof(T));
                                Sse.Prefetch0(g + j + ahead + 64 / sizeof(T));
                            }
                        }
                        var g0 = TW.Load(ref *g, (nuint)j);
                        var g1 = TW.Load(ref *g, (nuint)(j + w));
                        s0 = TW.Add(s0, g0);
                        s1 = TW.Add(s1, g1);
                        t0 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref *x, (nuint)j), m), g0, t0);
                        t1 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref *x, (nuint)(j + w)), m), g1, t1);
                    }
                    for (; j + w <= end; j += w)
                    {
                        var g0 = TW.Load(ref *g, (nuint)j);
                        s0 = TW.Add(s0, g0);
                        t0 = TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref *x, (nuint)j), m), g0, t0);
                    }
                    T sd = TW.Sum(TW.Add(s0, s1));
                    T sx = TW.Sum(TW.Add(t0, t1));
                    // Scalar remainder of the block.
                    for (; j < end; j++)
                    {
                        T gv = g[j];
                        sd += gv;
                        sx = T.FusedMultiplyAdd(x[j] - ms, gv, sx);
                    }
                    accDout += double.CreateTruncating(sd);
                    accXmu += double.CreateTruncating(sx);
                }
                sumDout[ch] += accDout;
                sumDoutXmu[ch] += accXmu;
            }
        }
    }
}
