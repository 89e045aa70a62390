using System.Numerics;

namespace BnVerify;

/// <summary>
/// What every backward implementation is, whatever its element type: its metadata, and a way to run it
/// on a float64 <see cref="BatchNormProblem"/>. The checker, the command line and the benchmarks see
/// implementations only through this interface. Derive from <see cref="BatchNormBackward{T}"/> to write one.
/// </summary>
public interface IBatchNormBackward
{
    /// <summary>Id, source and declared verdict.</summary>
    BackwardInfo Info { get; }

    /// <summary>The element type the implementation computes in (double or float).</summary>
    Type ElementType { get; }

    /// <summary>Unit roundoff of <see cref="ElementType"/> (2^-53 for double, 2^-24 for float).</summary>
    double UnitRoundoff { get; }

    /// <summary>
    /// The memory order the implementation computes in: the cache's x and xhat, dout and dx come to it in this order.
    /// <see cref="BnVerify.Layout.ND"/> (the default) is rows × channels, which is also NHWC memory, so such an implementation
    /// runs a spatial problem as its (N·H·W)×C canonical view; an NCHW implementation runs a 2-D problem as N×D×1×1.
    /// Every implementation can therefore be checked on every problem.
    /// </summary>
    Layout Layout => Layout.ND;

    /// <summary>
    /// The problem as this implementation sees it: every value rounded to <see cref="ElementType"/>
    /// (unchanged for double). The oracles are evaluated on this, so a float32 implementation is judged
    /// against the exact gradient at its own float32 inputs.
    /// </summary>
    BatchNormProblem InItsPrecision(BatchNormProblem problem);

    /// <summary>
    /// Runs forward (to build the cache) then this backward on <paramref name="problem"/>; the gradients come back widened
    /// to float64. Every output element starts as <see cref="Poison"/>, so one the backward never writes is seen as such.
    /// </summary>
    Gradients Run(BatchNormProblem problem);
}


/// <summary>
/// The shared backward interface in element type <typeparamref name="T"/>: from the forward's cache and the
/// upstream gradient <c>dout</c> (N×D), write dx (N×D), dgamma (D) and dbeta (D) into caller-provided spans.
/// dout and dx are in the cache's memory order (<see cref="BatchNormCache{T}.Layout"/>), which must be the implementation's.
/// </summary>
public interface IBatchNormBackward<T> : IBatchNormBackward where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Computes the gradients; the span lengths are checked before any work.</summary>
    void Backward(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta);
}

/// <summary>
/// Base class of every implementation: it holds the metadata, checks span lengths once, and leaves the math to
/// <see cref="Compute"/>. A new implementation is one new non-abstract class deriving from this with a
/// parameterless constructor; <see cref="Registry"/> discovers it, so the tests, benchmarks and the
/// command line pick it up with no other edit.
/// </summary>
/// <param name="info">Id, source and declared verdict.</param>
/// <param name="layout">The memory order <see cref="Compute"/> receives its data in (default: rows × channels, <see cref="Layout.ND"/>).</param>
public abstract class BatchNormBackward<T>(BackwardInfo info, Layout layout = Layout.ND) : IBatchNormBackward<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public BackwardInfo Info { get; } = info;

    /// <inheritdoc />
    public Layout Layout { get; } = Enum.IsDefined(layout) ? layout : throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a layout");

    /// <inheritdoc />
    public Type ElementType => typeof(T);

    /// <inheritdoc />
    public double UnitRoundoff { get; } = double.CreateTruncating(T.BitIncrement(T.One) - T.One) / 2;

    /// <inheritdoc />
    public void Backward(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta)
    {
        ArgumentNullException.ThrowIfNull(cache);
        cache.CheckGradientSpans(dout, dx, dgamma, dbeta);
        if (!Layouts.SameMemory(cache.Layout, Layout, cache.Shape))
            throw new ArgumentException($"the cache holds a {cache.Shape} batch in {Layouts.Name(cache.Layout)} order; {Info.Id} computes in " +
                                        $"{Layouts.Name(Layout)}: build the cache with BatchNorm.Forward<T>(problem, implementation.Layout).", nameof(cache));
        Compute(cache, dout, dx, dgamma, dbeta);
    }

    /// <summary>
    /// The backward itself; spans have the right lengths. Write every element of dx, dgamma and dbeta: they are not
    /// cleared first (<see cref="Run"/> fills them with <see cref="Poison"/>).
    /// </summary>
    protected abstract void Compute(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta);

    /// <inheritdoc />
    public BatchNormProblem InItsPrecision(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (typeof(T) == typeof(double)) return problem;
        return problem.With(
            BatchNorm.Widen<T>(BatchNorm.Round<T>(problem.X)), BatchNorm.Widen<T>(BatchNorm.Round<T>(problem.Gamma)),
            BatchNorm.Widen<T>(BatchNorm.Round<T>(problem.Beta)), problem.Eps, BatchNorm.Widen<T>(BatchNorm.Round<T>(problem.Dout)));
    }

    /// <inheritdoc />
    public Gradients Run(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        // The cache, dout and dx in this implementation's memory order; dx comes back to the canonical view. Where that order
        // is the canonical one (every N×D problem, and NHWC), nothing is moved: a large problem costs the fewest copies.
        var cache = BatchNorm.Cache<T>(problem, Layout);
        bool moved = !Layouts.SameMemory(Layout, Layout.NHWC, problem.Shape);
        var dout = moved ? Layouts.FromCanonical<T>(BatchNorm.Round<T>(problem.Dout), problem.Shape, Layout) : BatchNorm.Round<T>(problem.Dout);
        var dx = new T[problem.N * problem.D];
        var dgamma = new T[problem.D];
        var dbeta = new T[problem.D];
        var poison = Poison.Value<T>();
        dx.AsSpan().Fill(poison);
        dgamma.AsSpan().Fill(poison);
        dbeta.AsSpan().Fill(poison);
        Backward(cache, dout, dx, dgamma, dbeta);
        return new Gradients(problem.N, problem.D, BatchNorm.Widen<T>(moved ? Layouts.ToCanonical<T>(dx, problem.Shape, Layout) : dx),
            BatchNorm.Widen<T>(dgamma), BatchNorm.Widen<T>(dbeta));
    }

    /// <inheritdoc />
    public override string ToString() => Info.Id;
}
