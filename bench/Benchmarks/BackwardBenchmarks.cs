using BenchmarkDotNet.Attributes;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark table: one row per (shape, implementation). <see cref="Impl"/> ranges over the registered
/// implementations chosen by the suite (never mutants) plus the bandwidth yardsticks (<c>bandwidth-*</c>, see
/// <see cref="StreamKernel"/>); <see cref="Shape"/> over the suite's shapes. Inputs are built in <see cref="Setup"/>
/// (once per type and shape, shared between cases), so the measured method is the backward call alone.
/// The baseline, seed001-staged, is a value of <see cref="Impl"/>; the report computes each row's ratio to it.
/// </summary>
[MemoryDiagnoser]
public class BackwardBenchmarks
{
    /// <summary>The shapes of the current suite.</summary>
    public static IEnumerable<string> ShapeValues => BenchmarkSuite.CurrentPlan.Shapes;

    /// <summary>The implementation ids (and yardsticks) of the current suite.</summary>
    public static IEnumerable<string> ImplValues => BenchmarkSuite.CurrentPlan.Ids;

    /// <summary>Batch shape N×D, written "NxD".</summary>
    [ParamsSource(nameof(ShapeValues))]
    public string Shape { get; set; } = "64x256";

    /// <summary>Implementation id, or a bandwidth yardstick.</summary>
    [ParamsSource(nameof(ImplValues))]
    public string Impl { get; set; } = "seed001-staged";

    private Action _run = static () => { };

    /// <summary>Builds (or reuses) the inputs and binds the call; not measured.</summary>
    [GlobalSetup]
    public void Setup() => _run = BenchmarkSuite.Bind(Impl, Shape);

    /// <summary>One backward pass (or one pass of the bandwidth pattern).</summary>
    [Benchmark]
    public void Backward() => _run();
}
