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

    /// <summary>Prepares <paramref name="implementation"/> on <paramref name="problem"/> in the implementation's own element type.</summary>
    public static PreparedBackward For(IBatchNormBackward implementation, BatchNormProblem problem) => implementation switch
    {
        IBatchNormBackward<double> f64 => Create(f64, problem),
        IBatchNormBackward<float> f32 => Create(f32, problem),
        null => throw new ArgumentNullException(nameof(implementation)),
        _ => throw new NotSupportedException($"{implementation.Info.Id}: element type {implementation.ElementType.Name} is not supported"),
    };

    private static PreparedBackward Create<T>(IBatchNormBackward<T> implementation, BatchNormProblem problem)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(problem);
        // In the implementation's memory order (the transposition is part of the preparation, not of the timed call).
        var cache = BatchNorm.Cache<T>(problem, implementation.Layout);
        var dout = Layouts.FromCanonical<T>(BatchNorm.Round<T>(problem.Dout), problem.Shape, implementation.Layout);
        var dx = new T[problem.N * problem.D];
        var dgamma = new T[problem.D];
        var dbeta = new T[problem.D];
        long bytes = 5L * problem.N * problem.D * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return new PreparedBackward(implementation, () => implementation.Backward(cache, dout, dx, dgamma, dbeta), bytes);
    }
}
