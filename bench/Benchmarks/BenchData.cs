using System.Collections.Concurrent;
using System.Numerics;
using BnVerify.Checking;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The inputs every benchmark case, the paired roofline and the gate's memory-bound timing run on: a random problem from the
/// library's <see cref="ProblemGenerator"/> (seed fixed by the shape; <see cref="TileRows"/> rows, repeated), its forward cache in <typeparamref name="T"/>, dout,
/// and output buffers. Built once per (type, shape) and kept for the life of the process: they are a pure function of the
/// shape, so two suites (or a suite and a test) in one process share them without affecting each other. The outputs are
/// scratch that is written and never read (whoever runs last leaves its values there); nothing is configured here.
/// </summary>
public sealed class BenchData<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static readonly ConcurrentDictionary<string, Lazy<BenchData<T>>> Built = new();

    /// <summary>Rows drawn from the generator; larger problems repeat them (see the constructor).</summary>
    public const int TileRows = 256;

    private BenchData(int n, int d)
    {
        // A tile of up to 256 random rows from the library's generator, repeated down to N rows: the kernels' speed does not
        // depend on the values (no data-dependent branches, no subnormal numbers), only on the shape and the memory they
        // touch, and drawing every element of a 4096×1024 or 8192×1024 problem took 1.5–4 s per timing process.
        var tile = ProblemGenerator.Generate(new Random(20240601 + n * 31 + d), Math.Min(n, TileRows), d);
        var problem = n == tile.N ? tile : new BatchNormProblem(n, d, Repeat(tile.X, n * d), tile.Gamma, tile.Beta, tile.Eps, Repeat(tile.Dout, n * d));
        (_, Cache) = BatchNorm.Forward<T>(problem);
        Dout = BatchNorm.Round<T>(problem.Dout);
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

    /// <summary>The data of shape "NxD" (built on first use, once even when asked for from several threads at once).</summary>
    public static BenchData<T> For(string shape) => Built.GetOrAdd(shape, s => new Lazy<BenchData<T>>(() =>
    {
        var (n, d) = BenchmarkOptions.ParseShape(s);
        return new BenchData<T>(n, d);
    })).Value;

    /// <summary>The forward cache.</summary>
    public BatchNormCache<T> Cache { get; }

    /// <summary>Upstream gradient, N×D.</summary>
    public T[] Dout { get; }

    /// <summary>dx output, N×D (scratch).</summary>
    public T[] Dx { get; }

    /// <summary>dgamma output, D (scratch).</summary>
    public T[] Dgamma { get; }

    /// <summary>dbeta output, D (scratch).</summary>
    public T[] Dbeta { get; }
}
