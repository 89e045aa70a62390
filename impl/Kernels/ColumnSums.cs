using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnVerify.Kernels;

/// <summary>
/// Pass 1 of the fused backward: per-column sums over a block of rows of a row-major batch,
/// <c>sumDout_j += Σ_i dout_ij</c> and <c>sumDoutXmu_j += Σ_i (x_ij − mean_j)·dout_ij</c>.
/// Because the layout is row-major, the column accumulators are vectors across the D dimension that stay in L1: the kernel
/// walks x and dout one row at a time, front to back, so the memory sees exactly two sequential read streams (the pattern
/// of the bandwidth yardstick), and each column vector of a row is added into its accumulators. The accumulators and the mean
/// are touched once per vector of data, so callers should pass them 64-byte aligned (<see cref="FusedBackward"/> does, through
/// <see cref="AlignedScratch"/>): misaligned, half of those accesses split across two cache lines.
/// TensorPrimitives style: one vector body, written once over <see cref="ISimdWidth{T, TVec}"/> and run at the widest
/// accelerated width (512, 256 or 128 bits), then a scalar remainder for the columns that do not fill a vector.
/// </summary>
public static class ColumnSums
{
    /// <summary>
    /// Software prefetch distance, bytes ahead in the stream, one prefetch per 64-byte line of x and of dout. One core's
    /// streaming bandwidth is bounded by how many cache misses it keeps in flight, and with five loads, two stores and the
    /// arithmetic per vector the out-of-order window covers fewer lines than a plain sum's. Measured at 16384×1024 float64 on
    /// the 2-core EPYC (AVX2) VM, paired rounds against a plain two-stream sum of the same arrays: no prefetch 78%, 256 B 79%,
    /// 512 B 81%, 1024 B 77%, 2048 B 77% of the plain sum's speed (40 rounds each; the spread between rounds is ±4%).
    /// The same distance was also the best of those tried on an AVX-512 machine in an earlier session.
    /// </summary>
    public const int PrefetchBytes = 512;

    /// <summary>
    /// float64: adds the column sums of the rows in <paramref name="x"/> and <paramref name="dout"/> (both rows×d,
    /// row-major, the same length, a whole number of rows) into <paramref name="sumDout"/> and <paramref name="sumDoutXmu"/> (length d).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> dout, ReadOnlySpan<double> mean,
        Span<double> sumDout, Span<double> sumDoutXmu)
    {
        SumsAt(SimdWidth.Widest, x, dout, mean, sumDout, sumDoutXmu);
    }

    /// <summary>Rows per float32 block: the float32 column sums cover at most this many rows before they are widened into float64.</summary>
    public const int Float32BlockRows = 64;

    /// <summary>
    /// float32 data, float64 accumulators: blocks of <see cref="Float32BlockRows"/> rows are summed in float32 (into float32
    /// column accumulators that stay in L1), and each block's sums are
    /// widened to float64 and added to <paramref name="sumDout"/> and <paramref name="sumDoutXmu"/>. The float32 rounding then acts
    /// on sums of at most 64 terms: the accumulated error is about 64·u32 + N·u64 of the sum of magnitudes instead of N·u32 for a
    /// plain float32 accumulation, far inside the checker's 8·u32·(N + 4 + κ) allowance for any N, and the per-line work is that of
    /// the float64 kernel (the widening happens once per 64 rows).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> dout, ReadOnlySpan<float> mean,
        Span<double> sumDout, Span<double> sumDoutXmu)
    {
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
            SumsAt(SimdWidth.Widest, x.Slice(b0 * d, blockRows * d), dout.Slice(b0 * d, blockRows * d), mean, blockDout, blockDoutXmu);
            Widen(blockDout, sumDout);
            Widen(blockDoutXmu, sumDoutXmu);
        }
    }

    /// <summary>The float32 block sums' scratch, per thread (see <see cref="AlignedScratch"/>).</summary>
    [ThreadStatic] private static float[]? _float32Block;

    /// <summary>
    /// The kernel at a chosen width in bits (512, 256 or 128; a width the CPU lacks runs in software, correctly but slowly):
    /// lets the tests run every width's body on any machine.
    /// </summary>
    internal static void SumsAt<T>(int widthBits, ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, dout.Length, mean.Length, sumDout.Length, sumDoutXmu.Length);
        switch (widthBits)
        {
            case 512: Sums<T, Vector512<T>, Width512<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            case 256: Sums<T, Vector256<T>, Width256<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            case 128: Sums<T, Vector128<T>, Width128<T>>(x, dout, mean, sumDout, sumDoutXmu); break;
            default: throw new ArgumentOutOfRangeException(nameof(widthBits), widthBits, "the vector width is 512, 256 or 128 bits.");
        }
    }

    /// <summary>The kernel at one vector width <typeparamref name="TVec"/> (see <see cref="ISimdWidth{T, TVec}"/>).</summary>
    private static unsafe void Sums<T, TVec, TW>(ReadOnlySpan<T> x, ReadOnlySpan<T> dout, ReadOnlySpan<T> mean, Span<T> sumDout, Span<T> sumDoutXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TVec : struct
        where TW : struct, ISimdWidth<T, TVec>
    {
        int d = mean.Length;
        int rows = x.Length / d;
        nuint w = (nuint)TW.Count;
        nuint ahead = (nuint)(PrefetchBytes / sizeof(T)); // prefetch never faults, even past the end
        nuint lineMask = (nuint)(64 / sizeof(T) - 1);     // one prefetch per 64-byte line: when the element index is a multiple of a line
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T gr = ref MemoryMarshal.GetReference(dout);
        ref T mr = ref MemoryMarshal.GetReference(mean);
        ref T sr = ref MemoryMarshal.GetReference(sumDout);
        ref T tr = ref MemoryMarshal.GetReference(sumDoutXmu);
        for (int i = 0; i < rows; i++)
        {
            nuint row = (nuint)i * (nuint)d;
            nuint j = 0;
            for (; j + w <= (nuint)d; j += w)
            {
                nuint k = row + j;
                if (Sse.IsSupported && (k & lineMask) < w)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, k + ahead)));
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref gr, k + ahead)));
                }
                var dv = TW.Load(ref gr, k);
                TW.Store(TW.Add(TW.Load(ref sr, j), dv), ref sr, j);
                TW.Store(TW.FusedMultiplyAdd(TW.Subtract(TW.Load(ref xr, k), TW.Load(ref mr, j)), dv, TW.Load(ref tr, j)), ref tr, j);
            }
            // Scalar remainder: the columns that do not fill a vector.
            for (; j < (nuint)d; j++)
            {
                T dv = Unsafe.Add(ref gr, row + j);
                Unsafe.Add(ref sr, j) += dv;
                Unsafe.Add(ref tr, j) = T.FusedMultiplyAdd(Unsafe.Add(ref xr, row + j) - Unsafe.Add(ref mr, j), dv, Unsafe.Add(ref tr, j));
            }
        }
    }

    /// <summary>acc += (double)block, vectorized.</summary>
    private static void Widen(ReadOnlySpan<float> block, Span<double> acc)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= block.Length; j += 16)
            {
                var v = Vector512.Create(block.Slice(j, 16));
                (Vector512.Create(acc.Slice(j, 8)) + Vector512.WidenLower(v)).CopyTo(acc.Slice(j, 8));
                (Vector512.Create(acc.Slice(j + 8, 8)) + Vector512.WidenUpper(v)).CopyTo(acc.Slice(j + 8, 8));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= block.Length; j += 8)
            {
                var v = Vector256.Create(block.Slice(j, 8));
                (Vector256.Create(acc.Slice(j, 4)) + Vector256.WidenLower(v)).CopyTo(acc.Slice(j, 4));
                (Vector256.Create(acc.Slice(j + 4, 4)) + Vector256.WidenUpper(v)).CopyTo(acc.Slice(j + 4, 4));
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
