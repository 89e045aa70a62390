using System.Collections.Concurrent;
using System.Numerics;
using BnVerify.Checking;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark inputs, built once per (type, shape) and shared by every benchmark case (the suite runs in-process):
/// a random problem (seed fixed), its forward cache in <typeparamref name="T"/>, dout and the output buffers.
/// </summary>
public sealed class BenchData<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static readonly ConcurrentDictionary<string, BenchData<T>> Built = new();

    private BenchData(int n, int d)
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
        (_, Cache) = BatchNorm.Forward<T>(problem);
        Dout = BatchNorm.Round<T>(dout);
        Dx = new T[n * d];
        Dgamma = new T[d];
        Dbeta = new T[d];
    }

    /// <summary>The data of shape "NxD" (built on first use).</summary>
    public static BenchData<T> For(string shape) => Built.GetOrAdd(shape, s =>
    {
        var (n, d) = BenchmarkOptions.ParseShape(s);
        return new BenchData<T>(n, d);
    });

    /// <summary>Drops every cached shape (between suites).</summary>
    public static void Clear() => Built.Clear();

    /// <summary>The forward cache.</summary>
    public BatchNormCache<T> Cache { get; }

    /// <summary>Upstream gradient, N×D.</summary>
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
