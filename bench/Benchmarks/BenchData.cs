using System.Collections.Concurrent;
using System.Numerics;
using BnVerify.Checking;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The inputs every benchmark case, the paired roofline and the gate's memory-bound timing run on: a random problem from the
/// library's <see cref="ProblemGenerator"/> (seed fixed by the shape; <see cref="TileRows"/> rows, repeated), its forward
/// cache in <typeparamref name="T"/>, dout, and output buffers, in the memory order of the implementations that use them
/// (rows × channels, or NCHW for a spatial shape; the values are the same in both orders, so an NCHW kernel and an NHWC one
/// compute the same problem). Built once per (type, shape, memory order) and kept for the life of the process: they are a
/// pure function of the shape, so two suites (or a suite and a test) in one process share them without affecting each
/// other. The outputs are scratch that is written and never read (whoever runs last leaves its values there); nothing is
/// configured here.
/// </summary>
public sealed class BenchData<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static readonly ConcurrentDictionary<(string Shape, bool Nchw), Lazy<BenchData<T>>> Built = new();

    /// <summary>Rows drawn from the generator; larger problems repeat them (see the constructor).</summary>
    public const int TileRows = 256;

    private BenchData(int n, int d, SpatialShape? spatial, bool nchw)
    {
        // A tile of up to 256 random rows from the library's generator, repeated down to N rows: the kernels' speed does not
        // depend on the values (no data-dependent branches, no subnormal numbers), only on the shape and the memory they
        // touch, and drawing every element of a 4096×1024 or 8192×1024 problem took 1.5–4 s per timing process.
        var tile = ProblemGenerator.Generate(new Random(20240601 + n * 31 + d), Math.Min(n, TileRows), d);
        var problem = n == tile.N ? tile : new BatchNormProblem(n, d, Repeat(tile.X, n * d), tile.Gamma, tile.Beta, tile.Eps, Repeat(tile.Dout, n * d));
        if (spatial is { } s) problem = problem.InLayout(s, Layout.NCHW);
        var layout = nchw ? Layout.NCHW : problem.IsSpatial ? Layout.NHWC : Layout.ND;
        (_, Cache) = BatchNorm.Forward<T>(problem, layout);
        Dout = BatchNorm.Round<T>(problem.DoutIn(layout));
        Dx = new T[n * d];
        Dgamma = new T[d];
        Dbeta = new T[d];
    }

    private static double[] Repeat(ReadOnlySpan<double> tile, int length)
    {
        var all = new double[length];
        for (int k = 0; k < length; k += tile.Length) tile[..Math.Min(tile.Length, length - k)].CopyTo(all.AsSpan(k));
        return all;
    }

    /// <summary>The data of shape "NxD" or "NxCxHxW" in the canonical rows × channels order (built on first use).</summary>
    public static BenchData<T> For(string shape) => For(shape, Layout.ND);

    /// <summary>
    /// The data of <paramref name="shape"/> in the memory order an implementation of <paramref name="layout"/> computes in
    /// (built on first use, once even when asked for from several threads at once).
    /// </summary>
    public static BenchData<T> For(string shape, Layout layout)
    {
        var spatial = BenchmarkOptions.Spatial(shape);
        // Only NCHW of a spatial shape is a different memory order; everything else is the canonical view.
        bool nchw = spatial is { } s && !Layouts.SameMemory(layout, Layout.NHWC, s);
        return Built.GetOrAdd((shape, nchw), key => new Lazy<BenchData<T>>(() =>
        {
            var (n, d) = BenchmarkOptions.ParseShape(key.Shape);
            return new BenchData<T>(n, d, spatial, key.Nchw);
        })).Value;
    }

    /// <summary>The forward cache.</summary>
    public BatchNormCache<T> Cache { get; }

    /// <summary>Upstream gradient, N×D (in the cache's memory order).</summary>
    public T[] Dout { get; }

    /// <summary>dx output, N×D (scratch).</summary>
    public T[] Dx { get; }

    /// <summary>dgamma output, D (scratch).</summary>
    public T[] Dgamma { get; }

    /// <summary>dbeta output, D (scratch).</summary>
    public T[] Dbeta { get; }
}
