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
    /// With <paramref name="placement"/>, every array the call reads or writes is placed on the pinned heap (never moved by
    /// the GC) after a gap of 0 to 63 cache lines drawn from it, so that timing over several preparations samples the
    /// arrays' relative addresses instead of fixing one: a kernel that walks columns with a large stride hits the same L1
    /// sets in x, xhat, dout and dx or not depending on them (spatial-nchw-loop at 128×64, planes of one value, walks 512 B
    /// strides: 24.8–31.4 µs per call over 24 placements in one process, and 1.18× to 1.93× alt-simplified from one process's
    /// placement to another's).
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
        var dout = Layouts.FromCanonical<T>(BatchNorm.Round<T>(problem.Dout), problem.Shape, implementation.Layout);
        var dx = new T[problem.N * problem.D];
        var dgamma = new T[problem.D];
        var dbeta = new T[problem.D];
        List<byte[]>? gaps = null; // held by the closure: a gap that died would leave a hole for the next array
        if (placement is not null)
        {
            gaps = [];
            T[] Place(T[] array)
            {
                gaps.Add(GC.AllocateUninitializedArray<byte>(1 + 64 * placement.Next(64), pinned: true));
                var placed = GC.AllocateUninitializedArray<T>(array.Length, pinned: true);
                array.CopyTo(placed, 0);
                return placed;
            }
            cache = new BatchNormCache<T>(cache.N, cache.D, Place(cache.XArray), Place(cache.XhatArray), Place(cache.MeanArray), Place(cache.VarArray),
                Place(cache.InvStdArray), Place(cache.GammaArray), Place(cache.BetaArray), cache.Eps, cache.Shape, cache.Layout);
            (dout, dx, dgamma, dbeta) = (Place(dout), Place(dx), Place(dgamma), Place(dbeta));
        }
        long bytes = 5L * problem.N * problem.D * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return new PreparedBackward(implementation, () =>
        {
            implementation.Backward(cache, dout, dx, dgamma, dbeta);
            GC.KeepAlive(gaps);
        }, bytes);
    }
}
