using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BnVerify.Kernels;

/// <summary>
/// One SIMD register width (128, 256 or 512 bits) for the width-generic kernels: <see cref="ColumnSums"/>,
/// <see cref="AffineRows"/> and the benchmark's bandwidth yardstick are each written once over a vector type
/// <typeparamref name="TVec"/> and run at the widest width the CPU accelerates (<see cref="SimdWidth.Widest"/>), so an AVX2
/// machine gets the same prefetching, unrolling and non-temporal stores as an AVX-512 one. (.NET's own <c>ISimdVector</c>
/// plays this role inside the runtime but is not public, and <c>Vector256&lt;T&gt;</c> exposes no generic-math operator
/// interfaces.) Implemented by structs, so every call is resolved and inlined when the JIT specializes a kernel.
/// </summary>
public interface ISimdWidth<T, TVec>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
    where TVec : struct
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The zero vector.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Every element <paramref name="value"/> (a per-channel constant of the NCHW kernels).</summary>
    static abstract TVec Broadcast(T value);

    /// <summary>Loads a vector from <paramref name="source"/> + <paramref name="index"/> elements (no alignment needed).</summary>
    static abstract TVec Load(ref T source, nuint index);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="index"/> elements (no alignment needed).</summary>
    static abstract void Store(TVec value, ref T destination, nuint index);

    /// <summary>Stores <paramref name="value"/> with a non-temporal (cache-bypassing) store; <paramref name="destination"/> must be aligned to the vector size.</summary>
    static abstract unsafe void StoreNonTemporal(TVec value, T* destination);

    /// <summary>a + b.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>a − b.</summary>
    static abstract TVec Subtract(TVec a, TVec b);

    /// <summary>a·b.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a·b + c, rounded once.</summary>
    static abstract TVec FusedMultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>The sum of the elements.</summary>
    static abstract T Sum(TVec value);

    /// <summary>
    /// A lane mask: all bits set in lanes 0 .. <paramref name="count"/> − 1, clear in the rest (the NCHW kernels split a
    /// vector at a plane boundary with it).
    /// </summary>
    static abstract TVec LowLanes(int count);

    /// <summary>Per lane, <paramref name="whereSet"/> where <paramref name="mask"/> is set, else <paramref name="whereClear"/>.</summary>
    static abstract TVec Select(TVec mask, TVec whereSet, TVec whereClear);
}

/// <summary>Which <see cref="ISimdWidth{T, TVec}"/> the kernels run at on this machine.</summary>
public static class SimdWidth
{
    /// <summary>The widest hardware-accelerated vector size in bits: 512, 256 or 128 (128 also when nothing is accelerated: software fallback).</summary>
    public static int Widest =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;
}

/// <summary>512-bit vectors (<see cref="Vector512{T}"/>; AVX-512 on x64).</summary>
public readonly struct Width512<T> : ISimdWidth<T, Vector512<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static int Count => Vector512<T>.Count;

    /// <inheritdoc/>
    public static Vector512<T> Zero => Vector512<T>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector512<T> value, T* destination) => value.StoreAlignedNonTemporal(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FusedMultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        // The BCL offers the fused form per element type only; typeof(T) is a JIT-time constant, the other branches vanish.
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return a * b + c;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> value) => Vector512.Sum(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LowLanes(int count) => Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(count)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> whereSet, Vector512<T> whereClear) => Vector512.ConditionalSelect(mask, whereSet, whereClear);
}

/// <summary>256-bit vectors (<see cref="Vector256{T}"/>; AVX2 on x64).</summary>
public readonly struct Width256<T> : ISimdWidth<T, Vector256<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static int Count => Vector256<T>.Count;

    /// <inheritdoc/>
    public static Vector256<T> Zero => Vector256<T>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector256<T> value, T* destination) => value.StoreAlignedNonTemporal(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FusedMultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return a * b + c;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> value) => Vector256.Sum(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LowLanes(int count) => Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> whereSet, Vector256<T> whereClear) => Vector256.ConditionalSelect(mask, whereSet, whereClear);
}

/// <summary>128-bit vectors (<see cref="Vector128{T}"/>; SSE on x64, AdvSimd on Arm64, software elsewhere).</summary>
public readonly struct Width128<T> : ISimdWidth<T, Vector128<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static int Count => Vector128<T>.Count;

    /// <inheritdoc/>
    public static Vector128<T> Zero => Vector128<T>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector128<T> value, T* destination) => value.StoreAlignedNonTemporal(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> FusedMultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return a * b + c;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector128<T> value) => Vector128.Sum(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LowLanes(int count) => Vector128.LessThan(Vector128<T>.Indices, Vector128.Create(T.CreateTruncating(count)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> whereSet, Vector128<T> whereClear) => Vector128.ConditionalSelect(mask, whereSet, whereClear);
}

/// <summary>
/// Whether a kernel body issues software prefetches: a type argument rather than a flag, so the JIT compiles one body
/// with the prefetches and one without, and the choice costs nothing per element (<see cref="KernelOptions.Prefetch"/>).
/// </summary>
internal interface IPrefetchPolicy
{
    /// <summary>True when the body prefetches.</summary>
    static abstract bool Enabled { get; }
}

/// <summary>Software prefetch on (the default).</summary>
internal readonly struct Prefetching : IPrefetchPolicy
{
    /// <inheritdoc/>
    public static bool Enabled => true;
}

/// <summary>Software prefetch off.</summary>
internal readonly struct NoPrefetch : IPrefetchPolicy
{
    /// <inheritdoc/>
    public static bool Enabled => false;
}
