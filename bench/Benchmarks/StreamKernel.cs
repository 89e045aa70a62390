using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The streaming-bandwidth yardstick: the backward's memory pattern with (almost) no arithmetic. Pass 1 reads x and dout
/// (summing them, so the reads cannot be dropped), pass 2 reads them again and writes dx = x + dout: 5·N·D elements move,
/// exactly the bytes the roofline counts. Stores are ordinary or non-temporal; the multi-core form splits rows in halves.
/// </summary>
public static class StreamKernel
{
    /// <summary>Runs the pattern on <paramref name="threads"/> threads; returns the pass-1 sum (to keep the reads alive).</summary>
    public static unsafe double Run<T>(T[] x, T[] dout, T[] dx, bool nonTemporal, int threads) where T : unmanaged
    {
        if (threads <= 1) return Part(x, dout, dx, 0, x.Length, nonTemporal);
        double total = 0;
        var partial = new double[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w =>
        {
            // Split on 64-element boundaries so every part keeps the same alignment.
            int start = (int)((long)x.Length * w / threads) & ~63, end = w == threads - 1 ? x.Length : (int)((long)x.Length * (w + 1) / threads) & ~63;
            partial[w] = Part(x, dout, dx, start, end, nonTemporal);
        });
        foreach (var p in partial) total += p;
        return total;
    }

    private static unsafe double Part<T>(T[] xa, T[] ga, T[] ya, int start, int end, bool nonTemporal) where T : unmanaged
    {
        if (typeof(T) == typeof(double))
            return Pattern(MemoryMarshal.Cast<T, double>(xa.AsSpan(start, end - start)), MemoryMarshal.Cast<T, double>(ga.AsSpan(start, end - start)),
                MemoryMarshal.Cast<T, double>(ya.AsSpan(start, end - start)), nonTemporal);
        var s = Pattern(MemoryMarshal.Cast<T, float>(xa.AsSpan(start, end - start)), MemoryMarshal.Cast<T, float>(ga.AsSpan(start, end - start)),
            MemoryMarshal.Cast<T, float>(ya.AsSpan(start, end - start)), nonTemporal);
        return s;
    }

    private static unsafe double Pattern<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx, bool nonTemporal)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        int n = x.Length, w = Vector512<T>.Count;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        var a0 = Vector512<T>.Zero;
        var a1 = Vector512<T>.Zero;
        int k = 0;
        for (; k + w <= n; k += w)
        {
            a0 += Vector512.LoadUnsafe(ref xr, (nuint)k);
            a1 += Vector512.LoadUnsafe(ref gr, (nuint)k);
        }
        T sum = Vector512.Sum(a0 + a1);
        for (; k < n; k++) sum += x[k] + dout[k];

        fixed (T* yp = dx)
        {
            k = 0;
            if (nonTemporal)
            {
                for (; k < n && (nuint)(yp + k) % 64 != 0; k++) yp[k] = x[k] + dout[k];
                for (; k + w <= n; k += w)
                    (Vector512.LoadUnsafe(ref xr, (nuint)k) + Vector512.LoadUnsafe(ref gr, (nuint)k)).StoreAlignedNonTemporal(yp + k);
                if (System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
            }
            else
            {
                for (; k + w <= n; k += w)
                    (Vector512.LoadUnsafe(ref xr, (nuint)k) + Vector512.LoadUnsafe(ref gr, (nuint)k)).Store(yp + k);
            }
            for (; k < n; k++) yp[k] = x[k] + dout[k];
        }
        return double.CreateTruncating(sum);
    }

    /// <summary>Keeps <paramref name="value"/> observable.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Consume(double value) => _ = value;
}
