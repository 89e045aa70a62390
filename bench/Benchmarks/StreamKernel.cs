using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BnVerify.Kernels;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The streaming-bandwidth yardstick: the backward's memory pattern with (almost) no arithmetic. Pass 1 reads x and dout
/// (summing them, so the reads cannot be dropped), pass 2 reads them again and writes dx = x + dout: 5·N·D elements move,
/// exactly the bytes the roofline counts. Stores are ordinary or non-temporal; the multi-core form splits rows in halves.
/// It runs at the same vector width as the kernels (<see cref="SimdWidth.Widest"/>), through the same load and store primitives.
/// </summary>
public static class StreamKernel
{
    /// <summary>
    /// Runs the pattern on <paramref name="threads"/> threads over the very arrays a kernel reads and writes (the cache's x,
    /// dout, dx); returns the pass-1 sum (to keep the reads alive).
    /// </summary>
    public static unsafe double Run<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx, bool nonTemporal, int threads) where T : unmanaged
    {
        if (x.Length != dout.Length || x.Length != dx.Length) throw new ArgumentException("x, dout and dx must have the same length");
        fixed (T* xp = x)
        fixed (T* gp = dout)
        fixed (T* yp = dx)
        {
            if (threads <= 1) return Part(xp, gp, yp, 0, x.Length, nonTemporal);
            var partial = new double[threads];
            nint xa = (nint)xp, ga = (nint)gp, ya = (nint)yp;
            int length = x.Length;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w =>
            {
                // Split on 64-element boundaries so every part keeps the same alignment.
                int start = (int)((long)length * w / threads) & ~63, end = w == threads - 1 ? length : (int)((long)length * (w + 1) / threads) & ~63;
                partial[w] = Part((T*)xa, (T*)ga, (T*)ya, start, end, nonTemporal);
            });
            double total = 0;
            foreach (var p in partial) total += p;
            return total;
        }
    }

    private static unsafe double Part<T>(T* xp, T* gp, T* yp, int start, int end, bool nonTemporal) where T : unmanaged
    {
        int length = end - start;
        if (typeof(T) == typeof(double))
            return Pattern(new ReadOnlySpan<double>((double*)xp + start, length), new ReadOnlySpan<double>((double*)gp + start, length),
                new Span<double>((double*)yp + start, length), nonTemporal);
        return Pattern(new ReadOnlySpan<float>((float*)xp + start, length), new ReadOnlySpan<float>((float*)gp + start, length),
            new Span<float>((float*)yp + start, length), nonTemporal);
    }

    /// <summary>The pattern at the widest accelerated vector width, the width the kernels run at.</summary>
    private static double Pattern<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx, bool nonTemporal)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Vector512.IsHardwareAccelerated ? Pattern<T, Vector512<T>, Width512<T>>(x, dout, dx, nonTemporal)
        : Vector256.IsHardwareAccelerated ? Pattern<T, Vector256<T>, Width256<T>>(x, dout, dx, nonTemporal)
        : Pattern<T, Vector128<T>, Width128<T>>(x, dout, dx, nonTemporal);

    // Always fully optimized: a kernel called a few times on large data would otherwise run its loop as tier-0 or
    // on-stack-replacement code, which spills loop variables: the whole backward at 16384×1024 measured 75% instead of 85%
    // of the roofline in float64 and 87% instead of 102% in float32 that way (paired rounds, AVX2 VM), about 12–15% slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double Pattern<T, TVec, TW>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx, bool nonTemporal)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
    {
        int n = x.Length, w = TW.Count;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        var a0 = TW.Zero;
        var a1 = TW.Zero;
        // Both passes peel to a 64-byte boundary (of x, then of dx) as the kernels do, so that no vector access splits
        // across two lines: a .NET array of this size starts a multiple of 8 bytes past a boundary (often 24), and unpeeled 64-byte loads of it
        // all split (up to 1.6× slower on the AVX-512 EPYC VM), which would understate the bandwidth the kernels can reach.
        T sum = T.Zero;
        int k = 0;
        for (int peel = (int)Math.Min(AlignedScratch.ToBoundary(ref xr, 64), (nuint)n); k < peel; k++) sum += x[k] + dout[k];
        for (; k + w <= n; k += w)
        {
            a0 = TW.Add(a0, TW.Load(ref xr, (nuint)k));
            a1 = TW.Add(a1, TW.Load(ref gr, (nuint)k));
        }
        sum += TW.Sum(TW.Add(a0, a1));
        for (; k < n; k++) sum += x[k] + dout[k];

        fixed (T* yp = dx)
        {
            ref T yr = ref Unsafe.AsRef<T>(yp);
            k = 0;
            for (int peel = (int)Math.Min(AlignedScratch.ToBoundary(ref yr, 64), (nuint)n); k < peel; k++) yp[k] = x[k] + dout[k];
            if (nonTemporal && (nuint)yp % (nuint)sizeof(T) == 0)
            {
                for (; k + w <= n; k += w)
                    TW.StoreNonTemporal(TW.Add(TW.Load(ref xr, (nuint)k), TW.Load(ref gr, (nuint)k)), yp + k);
                if (Sse.IsSupported) Sse.StoreFence();
            }
            else
            {
                for (; k + w <= n; k += w)
                    TW.Store(TW.Add(TW.Load(ref xr, (nuint)k), TW.Load(ref gr, (nuint)k)), ref yr, (nuint)k);
            }
            for (; k < n; k++) yp[k] = x[k] + dout[k];
        }
        return double.CreateTruncating(sum);
    }

    /// <summary>Keeps <paramref name="value"/> observable.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Consume(double value) => _ = value;
}
