using BenchmarkDotNet.Attributes;
using BnVerify.Bench.Peers;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark table: one case per (shape, implementation). The cases are built by <see cref="BenchmarkSuite.Cases"/>
/// from the run's <see cref="SuitePlan"/>, each with its own values of <see cref="Impl"/>, <see cref="Shape"/> and
/// <see cref="Threads"/>, the run's <see cref="Peers"/> and the registry its ids come from, <see cref="Implementations"/> (no parameter source reads a process-wide plan, so two suites can run in one process).
/// <see cref="Impl"/> is a registered implementation (never a mutant), a variant of a fast kernel (<see cref="KernelVariant"/>)
/// or a bandwidth yardstick (<c>bandwidth-*</c>, see <see cref="StreamKernel"/>). Inputs are built in <see cref="Setup"/>
/// (once per type and shape, shared between cases, <see cref="BenchData{T}"/>), so the measured method is the backward call alone.
/// The baseline, seed001-staged, is a value of <see cref="Impl"/>; the report computes each row's ratio to it.
/// </summary>
[MemoryDiagnoser]
public class BackwardBenchmarks
{
    /// <summary>Batch shape N×D, written "NxD".</summary>
    public string Shape { get; set; } = "64x256";

    /// <summary>Implementation id, kernel variant, or bandwidth yardstick.</summary>
    public string Impl { get; set; } = BenchmarkSuite.BaselineId;

    /// <summary>Workers of the multi-core kernels and the multi-core yardstick.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>The run's loaded peers (oneDNN), which bind the peer rows (<see cref="PeerSet.None"/> when there are none).</summary>
    public PeerSet Peers { get; set; } = PeerSet.None;

    /// <summary>The registry <see cref="Impl"/> is looked up in (the built-in implementations, plus those of <c>--assembly</c>).</summary>
    public ImplementationSet Implementations { get; set; } = ImplementationSet.BuiltIn;

    private Action _run = static () => { };

    /// <summary>Builds (or reuses) the inputs and binds the call; not measured.</summary>
    [GlobalSetup]
    public void Setup() => _run = BenchTargets.Bind(Impl, Shape, Threads, Peers, Implementations.Registry);

    /// <summary>One backward pass (or one pass of the bandwidth pattern).</summary>
    [Benchmark]
    public void Backward() => _run();
}

/// <summary>
/// The registry a suite run looks its ids up in, as a benchmark parameter: BenchmarkDotNet shows it in its tables as
/// "built-in", or "built-in+K" when K implementations from <c>--assembly</c> joined.
/// </summary>
/// <param name="Registry">The registry.</param>
public sealed record ImplementationSet(Registry Registry)
{
    /// <summary>The built-in implementations alone.</summary>
    public static ImplementationSet BuiltIn { get; } = new(Bench.BuiltIn.Implementations);

    /// <inheritdoc/>
    public override string ToString()
    {
        int extra = Registry.All.Count - Bench.BuiltIn.Implementations.All.Count;
        return ReferenceEquals(Registry, Bench.BuiltIn.Implementations) || extra <= 0 ? "built-in" : $"built-in+{extra}";
    }
}
