using System.Numerics;

namespace BnVerify;

/// <summary>
/// An implementation ready to be timed on one problem: the forward's cache, dout and the output buffers are built
/// once, so <see cref="Run"/> is the backward alone (what a benchmark or the gate measures).
/// </summary>
public sealed class PreparedBackward
{
    private PreparedBackward(IBatchNormBackward implementation, Action run, long bytesMoved)
    {
        Implementation = implementation;
        Run = run;
        BytesMoved = bytesMoved;
    }

    /// <summary>The implementation.</summary>
    public IBatchNormBackward Implementation { get; }

    /// <summary>One backward pass on the prepared problem, writing into the prepared buffers.</summary>
    public Action Run { get; }

    /// <summary>The least traffic an exact backward needs on this problem: 5·N·D·sizeof(T) (read x and dout twice, write dx).</summary>
    public long BytesMoved { get; }

    /// <summary>
    /// Prepares <paramref name="implementation"/> on <paramref name="problem"/> in the implementation's own element type.
    /// With <paramref name="placement"/>, every array the call reads or writes is a slice of one pinned arena (never moved by
    /// the GC), each after a gap of 0 to 63 cache lines drawn from it, so that timing over several preparations samples the
    /// arrays' relative addresses instead of fixing one: a kernel that walks columns with a large stride hits the same L1
    /// sets in x, xhat, dout and dx or not depending on them (spatial-nchw-loop at 128×64, planes of one value, walks 512 B
    /// strides: 24.8–31.4 µs per call over 24 placements in one process, and 1.18× to 1.93× alt-simplified from one process's
    /// placement to another's). One arena, not an allocation per array: separate allocations land wherever the pinned
    /// heap's free list has a hole, so after other arrays have died the gaps no longer move the arrays apart (seen in CI:
    /// 2 distinct relative placements in 8).
    /// </summary>
    public static PreparedBackward For(IBatchNormBackward implementation, BatchNormProblem problem, Random? placement = null) => implementation switch
    {
        IBatchNormBackward<double> f64 => Create(f64, problem, placement),
        IBatchNormBackward<float> f32 => Create(f32, problem, placement),
        null => throw new ArgumentNullException(nameof(implementation)),
        _ => throw new NotSupportedException($"{implementation.Info.Id}: element type {implementation.ElementType.Name} is not supported"),
    };

    private static PreparedBackward Create<T>(IBatchNormBackward<T> implementation, BatchNormProblem problem, Random? placement)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(problem);
        // In the implementation's memory order (the transposition is part of the preparation, not of the timed call).
        var cache = BatchNorm.Cache<T>(problem, implementation.Layout);
        ArraySegment<T> dout = Layouts.FromCanonical<T>(BatchNorm.Round<T>(problem.Dout), problem.Shape, implementation.Layout);
        ArraySegment<T> dx = new T[problem.N * problem.D];
        ArraySegment<T> dgamma = new T[problem.D];
        ArraySegment<T> dbeta = new T[problem.D];
        if (placement is not null)
            (cache, dout, dx, dgamma, dbeta) = Place(cache, dout, dx, dgamma, dbeta, placement);
        long bytes = 5L * problem.N * problem.D * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return new PreparedBackward(implementation, () => implementation.Backward(cache, dout, dx, dgamma, dbeta), bytes);
    }

    /// <summary>Copies the cache's arrays and the gradients' buffers into one pinned arena, in order, each after a random gap.</summary>
    private static (BatchNormCache<T>, ArraySegment<T>, ArraySegment<T>, ArraySegment<T>, ArraySegment<T>) Place<T>(
        BatchNormCache<T> cache, ArraySegment<T> dout, ArraySegment<T> dx, ArraySegment<T> dgamma, ArraySegment<T> dbeta, Random placement)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArraySegment<T>[] parts = [cache.XStorage, cache.XhatStorage, cache.MeanStorage, cache.VarStorage, cache.InvStdStorage,
            cache.GammaStorage, cache.BetaStorage, dout, dx, dgamma, dbeta];
        int lineElements = 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var gaps = new int[parts.Length];
        long length = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            gaps[i] = 1 + lineElements * placement.Next(64); // one element, then 0 to 63 cache lines
            length += gaps[i] + parts[i].Count;
        }
        if (length > Array.MaxLength) throw new ArgumentException($"{cache.N}×{cache.D} is too large to place in one arena.", nameof(cache));
        var arena = GC.AllocateUninitializedArray<T>((int)length, pinned: true);
        var placed = new ArraySegment<T>[parts.Length];
        int at = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            at += gaps[i];
            placed[i] = new ArraySegment<T>(arena, at, parts[i].Count);
            parts[i].AsSpan().CopyTo(placed[i]);
            at += parts[i].Count;
        }
        var placedCache = new BatchNormCache<T>(cache.N, cache.D, placed[0], placed[1], placed[2], placed[3], placed[4], placed[5], placed[6],
            cache.Eps, cache.Shape, cache.Layout);
        return (placedCache, placed[7], placed[8], placed[9], placed[10]);
    }
}
