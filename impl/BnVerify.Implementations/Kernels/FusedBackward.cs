using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnVerify.Kernels;

/// <summary>
/// The fused two-pass batch-norm backward shared by the <c>fused-simd-*</c> implementations, in float64 or float32.
/// <para>
/// Derivation (the closed form of <see cref="Implementations.AltSimplified"/>, rewritten to read x instead of xhat):
/// with xhat = (x − mean)·invStd and dxhat = gamma·dout,
/// dx = (invStd/N)·(N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)).
/// Per column j let sumDout = Σ_i dout and sumDoutXmu = Σ_i (x − mean)·dout, so Σdxhat = gamma·sumDout and
/// Σ(dxhat·xhat) = gamma·invStd·sumDoutXmu. Then
/// dbeta = sumDout, dgamma = Σ dout·xhat = invStd·sumDoutXmu, and
/// dx = gamma·invStd·dout − gamma·invStd·sumDout/N − gamma·invStd³·sumDoutXmu/N·(x − mean)
///    = a·dout + b·x + c, with a = gamma·invStd, b = −a·invStd²·sumDoutXmu/N, c = −a·sumDout/N − b·mean.
/// </para>
/// <para>
/// Pass 1 (<see cref="ColumnSums"/>) reads x and dout once and forms the two column sums; the per-column constants
/// a, b, c are then computed once in float64 (one division per column, none per element); pass 2 (<see cref="AffineRows"/>)
/// reads x and dout again and writes dx with two fused multiply-adds per element. Memory traffic: 5·N·D elements.
/// </para>
/// <para>
/// Cancellation: folding −b·mean into c makes b·x + c cancel when |mean| ≫ std. The error that costs is about
/// u·|b|·|x|, and |b|·|x| ≤ |gamma|·invStd·max|dout|·invStd·|x| (Cauchy–Schwarz bounds |sumDoutXmu|·invStd/N by max|dout|),
/// i.e. u·κ in the checker's dx unit with κ = max|x|·invStd; the checker allows 8·u·(N + 4 + κ) units, so the
/// two-FMA form stays inside the allowance with a margin of 8 even for large offsets (tested in FastKernelTests).
/// </para>
/// <para>
/// Rows are cut into fixed chunks of <see cref="ChunkRows"/> rows whatever the thread count; pass 1 writes each chunk's
/// partial sums to its own slot of a pooled buffer and the slots are added in chunk order, so the result is bitwise the
/// same on one thread or many, and from run to run. Buffers are cached per calling thread: no per-call
/// allocation on one thread (the multi-core path allocates only <see cref="Parallel"/>'s own bookkeeping).
/// </para>
/// </summary>
public static class FusedBackward
{
    /// <summary>Rows per chunk of pass 1's partial sums (fixed, so the summation order does not depend on the thread count).</summary>
    public const int ChunkRows = 256;

    /// <summary>How many workers a problem of <paramref name="n"/>×<paramref name="d"/> elements of <paramref name="elementSize"/> bytes gets under <paramref name="options"/>.</summary>
    public static int WorkersFor(int n, int d, int elementSize, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        if (options.Threads <= 1 || (long)n * d * elementSize < options.ParallelThresholdBytes) return 1;
        return Math.Max(1, Math.Min(options.Threads, chunks));
    }

    /// <summary>
    /// Computes dx, dgamma and dbeta from the cache's x, mean, invStd and gamma and from <paramref name="dout"/>,
    /// with the threads, the store kind, the vector width and the prefetch setting of <paramref name="options"/> (the width
    /// and the prefetch are chosen once per call, per pass and chunk, never per element; the result is bitwise the same whatever they are).
    /// Spans must have the lengths <see cref="BatchNormBackward{T}.Backward"/> checks.
    /// </summary>
    public static unsafe void Run<T>(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta,
        KernelOptions options) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        bool nonTemporal = options.Stores == NonTemporal.Always
            || (options.Stores == NonTemporal.WhenLarge && (long)dx.Length * Unsafe.SizeOf<T>() >= options.NonTemporalThresholdBytes);
        if (typeof(T) != typeof(double) && typeof(T) != typeof(float))
            throw new NotSupportedException($"the fused kernels exist for double and float, not {typeof(T).Name}.");
        int n = cache.N, d = cache.D;
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        int workers = WorkersFor(n, d, Unsafe.SizeOf<T>(), options);
        bool streaming = (long)n * d * Unsafe.SizeOf<T>() >= options.StreamingThresholdBytes;

        // Scratch, 64-byte aligned (AlignedScratch): per chunk a row of Σdout and a row of Σ(x − mean)·dout, stride sd;
        // then mean (copied here, so its loads are aligned too) and the constants a, b, c, stride st.
        int sd = AlignedScratch.Stride<double>(d), st = AlignedScratch.Stride<T>(d);
        var partials = AlignedScratch.Get(ref Buffers<T>.Partials, chunks * 2 * sd);
        var table = AlignedScratch.Get(ref Buffers<T>.Constants, 4 * st);
        var mean = table.Slice(0, d);
        var a = table.Slice(st, d);
        var b = table.Slice(2 * st, d);
        var cc = table.Slice(3 * st, d);
        cache.Mean.CopyTo(mean);

        fixed (double* pp = partials)
        fixed (T* mp = mean)
        {
            if (workers == 1)
            {
                SumChunks(cache.X, dout, mean, pp, sd, d, 0, chunks, n, streaming, options);
            }
            else
            {
                fixed (T* xp = cache.X)
                fixed (T* gp = dout)
                    Parallel1<T>(workers, (nint)xp, (nint)gp, (nint)mp, (nint)pp, sd, n, d, chunks, streaming, options);
            }
        }

        // Combine the chunks in order (deterministic), into chunk 0's slot.
        var sumDout = partials.Slice(0, d);
        var sumDoutXmu = partials.Slice(sd, d);
        for (int c = 1; c < chunks; c++)
        {
            TensorPrimitives.Add(sumDout, partials.Slice(c * 2 * sd, d), sumDout);
            TensorPrimitives.Add(sumDoutXmu, partials.Slice(c * 2 * sd + sd, d), sumDoutXmu);
        }

        Constants(cache, sumDout, sumDoutXmu, mean, dgamma, dbeta, a, b, cc);

        if (workers == 1)
        {
            Affine(cache.X, dout, dx, a, b, cc, nonTemporal, streaming, options);
        }
        else
        {
            fixed (T* xp = cache.X)
            fixed (T* gp = dout)
            fixed (T* yp = dx)
            fixed (T* tp = table)
                Parallel2<T>(workers, (nint)xp, (nint)gp, (nint)yp, (nint)tp, st, n, d, chunks, nonTemporal, streaming, options);
        }
    }

    /// <summary>
    /// The per-column constants of pass 2 from pass 1's sums, in float64 whatever <typeparamref name="T"/> is (m = the
    /// cache's rows, N or N·H·W): dbeta = Σdout, dgamma = invStd·Σ(x − mean)·dout, a = gamma·invStd,
    /// b = −a·invStd²·Σ(x − mean)·dout/m, c = −a·Σdout/m − b·mean. Shared with <see cref="SpatialFusedBackward"/>.
    /// </summary>
    internal static void Constants<T>(BatchNormCache<T> cache, ReadOnlySpan<double> sumDout, ReadOnlySpan<double> sumDoutXmu, ReadOnlySpan<T> mean,
        Span<T> dgamma, Span<T> dbeta, Span<T> a, Span<T> b, Span<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var invStdT = cache.InvStd;
        var gammaT = cache.Gamma;
        double invM = 1.0 / cache.N;
        for (int j = 0; j < cache.D; j++)
        {
            double sumD = sumDout[j], sumX = sumDoutXmu[j];
            double invStd = double.CreateTruncating(invStdT[j]);
            double aj = double.CreateTruncating(gammaT[j]) * invStd;
            double bj = -aj * invStd * invStd * sumX * invM;
            dbeta[j] = T.CreateTruncating(sumD);
            dgamma[j] = T.CreateTruncating(invStd * sumX);
            a[j] = T.CreateTruncating(aj);
            b[j] = T.CreateTruncating(bj);
            c[j] = T.CreateTruncating(-aj * sumD * invM - bj * double.CreateTruncating(mean[j]));
        }
    }

    /// <summary>
    /// Scratch arrays per calling thread (thread-static, so concurrent callers never share one, and a repeated call
    /// allocates nothing); they grow to the largest problem seen on the thread. Used through <see cref="AlignedScratch"/>.
    /// </summary>
    private static class Buffers<T>
    {
        [ThreadStatic] public static double[]? Partials;
        [ThreadStatic] public static T[]? Constants;
    }

    /// <summary>Pass 1 over chunks [c0, c1): each chunk's sums go to its own slot (two rows of stride <paramref name="sd"/>) of the partials table at <paramref name="partials"/>.</summary>
    private static unsafe void SumChunks<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, double* partials, int sd, int d, int c0, int c1, int n,
        bool streaming, KernelOptions options)
        where T : unmanaged
    {
        for (int c = c0; c < c1; c++)
        {
            int r0 = c * ChunkRows, r1 = Math.Min(n, r0 + ChunkRows);
            var sumDout = new Span<double>(partials + (long)c * 2 * sd, d);
            var sumDoutXmu = new Span<double>(partials + (long)c * 2 * sd + sd, d);
            sumDout.Clear();
            sumDoutXmu.Clear();
            var xs = x.Slice(r0 * d, (r1 - r0) * d);
            var gs = dout.Slice(r0 * d, (r1 - r0) * d);
            if (typeof(T) == typeof(double))
                ColumnSums.Accumulate(MemoryMarshal.Cast<T, double>(xs), MemoryMarshal.Cast<T, double>(gs), MemoryMarshal.Cast<T, double>(mean), sumDout, sumDoutXmu, options, streaming);
            else
                ColumnSums.Accumulate(MemoryMarshal.Cast<T, float>(xs), MemoryMarshal.Cast<T, float>(gs), MemoryMarshal.Cast<T, float>(mean), sumDout, sumDoutXmu, options, streaming);
        }
    }

    private static void Affine<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, Span<T> dx, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, bool nonTemporal, bool streaming,
        KernelOptions options)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
            AffineRows.Apply(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(dout), MemoryMarshal.Cast<T, double>(dx),
                MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b), MemoryMarshal.Cast<T, double>(c), nonTemporal, options, streaming);
        else
            AffineRows.Apply(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(dout), MemoryMarshal.Cast<T, float>(dx),
                MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), nonTemporal, options, streaming);
    }

    /// <summary>Chunks [first, end) of worker <paramref name="w"/> out of <paramref name="workers"/>: contiguous, fixed by the counts alone.</summary>
    private static (int First, int End) ChunksOf(int w, int workers, int chunks) =>
        ((int)((long)w * chunks / workers), (int)((long)(w + 1) * chunks / workers));

    private static unsafe void Parallel1<T>(int workers, nint xp, nint gp, nint mp, nint pp, int sd, int n, int d, int chunks, bool streaming, KernelOptions options)
        where T : unmanaged
    {
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var x = new ReadOnlySpan<T>((void*)xp, n * d);
            var dout = new ReadOnlySpan<T>((void*)gp, n * d);
            var mean = new ReadOnlySpan<T>((void*)mp, d);
            var (c0, c1) = ChunksOf(w, workers, chunks);
            SumChunks(x, dout, mean, (double*)pp, sd, d, c0, c1, n, streaming, options);
        });
    }

    private static unsafe void Parallel2<T>(int workers, nint xp, nint gp, nint yp, nint tp, int st, int n, int d, int chunks, bool nonTemporal, bool streaming, KernelOptions options)
        where T : unmanaged
    {
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var (c0, c1) = ChunksOf(w, workers, chunks);
            int r0 = c0 * ChunkRows, r1 = Math.Min(n, c1 * ChunkRows);
            if (r1 <= r0) return;
            var x = new ReadOnlySpan<T>((T*)xp + (long)r0 * d, (r1 - r0) * d);
            var dout = new ReadOnlySpan<T>((T*)gp + (long)r0 * d, (r1 - r0) * d);
            var dx = new Span<T>((T*)yp + (long)r0 * d, (r1 - r0) * d);
            var table = (T*)tp;
            Affine(x, dout, dx, new ReadOnlySpan<T>(table + st, d), new ReadOnlySpan<T>(table + 2 * st, d), new ReadOnlySpan<T>(table + 3 * st, d), nonTemporal, streaming, options);
        });
    }
}
