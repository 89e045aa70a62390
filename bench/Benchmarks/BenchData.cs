using System.Collections.Concurrent;
using System.Numerics;
using BnVerify.Checking;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark inputs, built once per (type, shape, memory order) and shared by every benchmark case (the suite runs
/// in-process): a random problem (seed fixed), its forward cache in <typeparamref name="T"/>, dout and the output buffers,
/// in the memory order of the implementations that use them (rows × channels, or NCHW for a spatial shape). The values are
/// the same in both orders, so an NCHW kernel and an NHWC one compute the same problem.
/// </summary>
public sealed class BenchData<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static readonly ConcurrentDictionary<(string Shape, bool Nchw), BenchData<T>> Built = new();

    private BenchData(int n, int d, SpatialShape? spatial, bool nchw)
    {
        var r = new Random(20240601 + n * 31 + d);
        var x = new double[n * d];
        var dout = new double[n * d];
        var gamma = new double[d];
        var beta = new double[d];
        for (int j = 0; j < d; j++)
        {
            gamma[j] = 0.5 + r.NextDouble();
            beta[j] = r.NextDouble() - 0.5;
        }
        for (int k = 0; k < x.Length; k++)
        {
            x[k] = 2.0 + GradientChecker.Gaussian(r);
            dout[k] = GradientChecker.Gaussian(r);
        }
        var problem = new BatchNormProblem(n, d, x, gamma, beta, 1e-5, dout);
        if (spatial is { } s) problem = problem.InLayout(s, Layout.NCHW);
        var layout = nchw ? Layout.NCHW : problem.IsSpatial ? Layout.NHWC : Layout.ND;
        (_, Cache) = BatchNorm.Forward<T>(problem, layout);
        Dout = BatchNorm.Round<T>(problem.DoutIn(layout));
        Dx = new T[n * d];
        Dgamma = new T[d];
        Dbeta = new T[d];
    }

    /// <summary>The data of shape "NxD" or "NxCxHxW" in the canonical rows × channels order (built on first use).</summary>
    public static BenchData<T> For(string shape) => For(shape, Layout.ND);

    /// <summary>The data of <paramref name="shape"/> in the memory order an implementation of <paramref name="layout"/> computes in.</summary>
    public static BenchData<T> For(string shape, Layout layout)
    {
        var spatial = BenchmarkOptions.Spatial(shape);
        // Only NCHW of a spatial shape is a different memory order; everything else is the canonical view.
        bool nchw = spatial is { } s && !Layouts.SameMemory(layout, Layout.NHWC, s);
        return Built.GetOrAdd((shape, nchw), key =>
        {
            var (n, d) = BenchmarkOptions.ParseShape(key.Shape);
            return new BenchData<T>(n, d, spatial, key.Nchw);
        });
    }

    /// <summary>Drops every cached shape (between suites).</summary>
    public static void Clear() => Built.Clear();

    /// <summary>The forward cache.</summary>
    public BatchNormCache<T> Cache { get; }

    /// <summary>Upstream gradient, N×D (in the cache's memory order).</summary>
    public T[] Dout { get; }

    /// <summary>dx output, N×D.</summary>
    public T[] Dx { get; }

    /// <summary>dgamma output, D.</summary>
    public T[] Dgamma { get; }

    /// <summary>dbeta output, D.</summary>
    public T[] Dbeta { get; }

    /// <summary>x as an array (the cache exposes a span; the bandwidth kernel wants the array).</summary>
    public T[] X => _x ??= Cache.X.ToArray();

    private T[]? _x;
}
