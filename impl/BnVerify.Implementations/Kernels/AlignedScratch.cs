using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnVerify.Kernels;

/// <summary>
/// Scratch spans that start on a 64-byte (cache-line) boundary, carved from pinned arrays that each caller caches per thread.
/// The kernels' column accumulators and per-column constants are loaded, and the accumulators stored, once per vector of
/// data: a misaligned one splits half of those accesses across two cache lines. Measured on a one-row-at-a-time variant of
/// pass 1 (16384×1024 float64, AVX2; an ordinary <c>new double[d]</c> is only 8-byte aligned): 63% of a plain sum's speed
/// with ordinary arrays, 88–91% with aligned ones.
/// </summary>
internal static class AlignedScratch
{
    /// <summary>
    /// A span of <paramref name="length"/> elements on a 64-byte boundary, inside the pinned array held in
    /// <paramref name="cache"/> (allocated or grown here; its contents are not cleared). Pinned, so the span's address
    /// may be handed to worker threads.
    /// </summary>
    /// <remarks>
    /// With <paramref name="shift"/> &gt; 0 the span starts that many elements past the boundary: the kernels pass the
    /// data's own misalignment (<see cref="ShiftOf{T}"/>), so that accumulator or constant j has the same position in
    /// its cache line as column j of a data row, and the column peel that aligns the data's vector loads
    /// (<see cref="Peel{T}"/>) aligns these too.
    /// </remarks>
    public static unsafe Span<T> Get<T>(ref T[]? cache, int length, int shift = 0) where T : unmanaged
    {
        int pad = 64 / sizeof(T);
        if ((uint)shift >= (uint)pad) throw new ArgumentOutOfRangeException(nameof(shift), shift, "the shift is less than one 64-byte line");
        if (cache is null || cache.Length < length + 2 * pad) cache = GC.AllocateUninitializedArray<T>(length + 2 * pad, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(cache));
        int offset = (int)((64 - address % 64) % 64 / (nuint)sizeof(T));
        return cache.AsSpan(offset + shift, length);
    }

    /// <summary>
    /// How many elements past a 64-byte boundary <paramref name="data"/> starts (0 when aligned, or when its address is
    /// not a whole number of elements past one). Read from the address once: a managed array the GC moved afterwards
    /// would only lose the alignment, never the result.
    /// </summary>
    public static unsafe int ShiftOf<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data)) % 64;
        return address % (nuint)sizeof(T) == 0 ? (int)(address / (nuint)sizeof(T)) : 0;
    }

    /// <summary>
    /// How many leading columns of a row starting at <paramref name="row"/> to do one by one so that the rest starts
    /// on a 64-byte boundary (at most <paramref name="d"/>; 0 when already aligned or not a whole number of elements off).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nuint Peel<T>(ref T row, nuint d) where T : unmanaged
    {
        nuint misalign = (nuint)Unsafe.AsPointer(ref row) % 64;
        if (misalign == 0 || misalign % (nuint)sizeof(T) != 0) return 0;
        return Math.Min((64 - misalign) / (nuint)sizeof(T), d);
    }

    /// <summary><paramref name="d"/> rounded up to a whole number of 64-byte lines of <typeparamref name="T"/>: the stride that keeps every row of a scratch table aligned.</summary>
    public static unsafe int Stride<T>(int d) where T : unmanaged
    {
        int line = 64 / sizeof(T);
        return (d + line - 1) / line * line;
    }
}
