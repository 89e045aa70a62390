using System.Numerics;
using System.Runtime.CompilerServices;

namespace BnVerify.Kernels;

/// <summary>
/// The fused two-pass backward of an NCHW batch, shared by the <c>spatial-nchw-*</c> implementations, in float64 or float32.
/// <para>
/// The math is <see cref="FusedBackward"/>'s, per channel instead of per column: with m = N·H·W values per channel,
/// sumDout_c = Σ dout and sumDoutXmu_c = Σ (x − mean_c)·dout over the channel's N planes (pass 1, <see cref="PlaneSums"/>);
/// dbeta = sumDout, dgamma = invStd·sumDoutXmu; a = gamma·invStd, b = −a·invStd²·sumDoutXmu/m, c = −a·sumDout/m − b·mean
/// formed once per channel in float64; then dx = a·dout + b·x + c (pass 2, <see cref="PlaneAffine"/>). Memory traffic
/// 5·N·C·H·W elements, as in 2-D; the cancellation of b·x + c at large offsets is bounded as there (u·κ in dx's unit).
/// </para>
/// <para>
/// Multi-core: channels are split into contiguous ranges, one per worker; a channel's sums are always formed by one worker
/// in image order, so the result is bitwise that of one thread, whatever the thread count. Each worker reads, per image, the
/// contiguous run of its channels' planes. Scratch (the per-channel sums and constants, 64-byte aligned) is thread-static:
/// no allocation on one thread.
/// </para>
/// </summary>
public static class SpatialFusedBackward
{
    /// <summary>How many workers an NCHW batch of <paramref name="shape"/> with elements of <paramref name="elementSize"/> bytes gets: one below the options' threshold, else up to one per channel.</summary>
    public static int WorkersFor(SpatialShape shape, int elementSize, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Threads <= 1 || shape.Count * elementSize < options.ParallelThresholdBytes) return 1;
        return Math.Max(1, Math.Min(options.Threads, shape.C));
    }

    /// <summary>
    /// Computes dx, dgamma and dbeta of the NCHW batch in <paramref name="cache"/> (its layout must be NCHW, or a shape where
    /// NCHW is the same memory) with the threads and stores of <paramref name="options"/>. Span lengths as
    /// <see cref="BatchNormBackward{T}.Backward"/> checks them.
    /// </summary>
    public static unsafe void Run<T>(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta, KernelOptions options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        if (typeof(T) != typeof(double) && typeof(T) != typeof(float))
            throw new NotSupportedException($"the NCHW kernels exist for double and float, not {typeof(T).Name}.");
        var shape = cache.Shape;
        if (!Layouts.SameMemory(cache.Layout, Layout.NCHW, shape))
            throw new ArgumentException($"the NCHW kernel needs an NCHW cache; this one is {Layouts.Name(cache.Layout)} {shape}.", nameof(cache));
        int channels = shape.C, planeSize = shape.PlaneSize, images = shape.N;
        bool nonTemporal = options.Stores == NonTemporal.Always
            || (options.Stores == NonTemporal.WhenLarge && (long)dx.Length * Unsafe.SizeOf<T>() >= options.NonTemporalThresholdBytes);
        int workers = WorkersFor(shape, Unsafe.SizeOf<T>(), options);

        // Scratch: Σdout and Σ(x − mean)·dout per channel (float64, stride sd); mean and the constants a, b, c (T, stride st).
        int sd = AlignedScratch.Stride<double>(channels), st = AlignedScratch.Stride<T>(channels);
        var sums = AlignedScratch.Get(ref Buffers<T>.Sums, 2 * sd);
        var table = AlignedScratch.Get(ref Buffers<T>.Constants, 4 * st);
        var sumDout = sums[..channels];
        var sumDoutXmu = sums.Slice(sd, channels);
        sumDout.Clear();
        sumDoutXmu.Clear();
        cache.Mean.CopyTo(table[..channels]);

        fixed (T* xp = cache.X)
        fixed (T* gp = dout)
        fixed (T* yp = dx)
        fixed (double* sp = sums)
        fixed (T* tp = table)
        {
            // Pass 1.
            if (workers == 1)
                PlaneSums.Accumulate(xp, gp, tp, sp, sp + sd, images, channels, planeSize, 0, channels, options.Prefetch);
            else
                Parallel1<T>((nint)xp, (nint)gp, (nint)tp, (nint)sp, sd, images, channels, planeSize, workers, options.Prefetch);

            // Per-channel constants (the fused 2-D kernel's, with m = N·H·W).
            FusedBackward.Constants(cache, sumDout, sumDoutXmu, table[..channels], dgamma, dbeta,
                table.Slice(st, channels), table.Slice(2 * st, channels), table.Slice(3 * st, channels));
            T* a = tp + st, b = tp + 2 * st, c = tp + 3 * st;

            // Pass 2.
            if (workers == 1)
                PlaneAffine.Apply(xp, gp, yp, a, b, c, images, channels, planeSize, 0, channels, nonTemporal, options.Prefetch);
            else
                Parallel2<T>((nint)xp, (nint)gp, (nint)yp, (nint)a, (nint)b, (nint)c, images, channels, planeSize, workers, nonTemporal, options.Prefetch);
        }
    }

    /// <summary>Channels [first, end) of worker <paramref name="w"/>: contiguous, fixed by the counts alone.</summary>
    private static (int First, int End) ChannelsOf(int w, int workers, int channels) =>
        ((int)((long)w * channels / workers), (int)((long)(w + 1) * channels / workers));

    private static unsafe void Parallel1<T>(nint xp, nint gp, nint mp, nint sp, int sd, int images, int channels, int planeSize, int workers, bool prefetch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var (c0, c1) = ChannelsOf(w, workers, channels);
            PlaneSums.Accumulate((T*)xp, (T*)gp, (T*)mp, (double*)sp, (double*)sp + sd, images, channels, planeSize, c0, c1, prefetch);
        });
    }

    private static unsafe void Parallel2<T>(nint xp, nint gp, nint yp, nint a, nint b, nint c, int images, int channels, int planeSize, int workers, bool nonTemporal, bool prefetch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var (c0, c1) = ChannelsOf(w, workers, channels);
            PlaneAffine.Apply((T*)xp, (T*)gp, (T*)yp, (T*)a, (T*)b, (T*)c, images, channels, planeSize, c0, c1, nonTemporal, prefetch);
        });
    }

    /// <summary>Scratch per calling thread (see <see cref="AlignedScratch"/>), grown to the largest channel count seen.</summary>
    private static class Buffers<T>
    {
        [ThreadStatic] public static double[]? Sums;
        [ThreadStatic] public static T[]? Constants;
    }
}
