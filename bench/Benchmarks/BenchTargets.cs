using BnVerify.Bench.Peers;
using BnVerify.Kernels;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// What the benchmark suite, the paired roofline and the gate's memory-bound timing can time, by name: a registered
/// implementation id, a kernel variant (<see cref="KernelVariant"/>, <c>ID:KEY=VALUE,...</c>), a bandwidth yardstick
/// (<c>bandwidth-T</c>, <c>bandwidth-nt-T</c>, <c>bandwidth-mt-T</c>, see <see cref="StreamKernel"/>), or a peer
/// (<c>onednn-*</c>, <see cref="PeerSet"/>). Everything a timing depends on is an argument (the name, the shape, the worker
/// count, the run's peers, the registry the ids come from — <see cref="BuiltIn.Implementations"/> unless the run loaded more
/// with <c>--assembly</c>): nothing is read from process-wide settings.
/// </summary>
public static class BenchTargets
{
    /// <summary>Yardstick ids per type: ordinary stores, non-temporal stores, and multi-core (non-temporal stores from 16 MiB of dx, like the kernels).</summary>
    public static IReadOnlyList<string> Yardsticks(string type) => [$"bandwidth-{type}", $"bandwidth-nt-{type}", $"bandwidth-mt-{type}"];

    /// <summary>True for the bandwidth yardsticks.</summary>
    public static bool IsYardstick(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.StartsWith("bandwidth-", StringComparison.Ordinal);
    }

    /// <summary>The implementation id behind a name: the id itself, or the kernel a variant varies.</summary>
    public static string BaseId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return KernelVariant.IsVariant(id) ? id[..id.IndexOf(':', StringComparison.Ordinal)] : id;
    }

    /// <summary>
    /// The implementation a (non-yardstick) name stands for: the registered one, allowed <paramref name="threads"/> workers
    /// when it is a multi-core kernel (<see cref="BuiltIn.WithThreads"/>), then the variant's settings on top. Ids are
    /// looked up in <paramref name="registry"/> (default: the built-in implementations).
    /// </summary>
    public static IBatchNormBackward Resolve(string id, int threads, Registry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (IsYardstick(id)) throw new ArgumentException($"{id} is a yardstick, not an implementation", nameof(id));
        if (PeerSet.IsPeer(id)) throw new ArgumentException($"{id} is a peer: its run's PeerSet holds it", nameof(id));
        var impl = BuiltIn.WithThreads((registry ?? BuiltIn.Implementations).Get(BaseId(id)), threads);
        return KernelVariant.IsVariant(id) ? KernelVariant.Parse(id).ApplyTo(impl) : impl;
    }

    /// <summary>
    /// The memory order a name is timed in at <paramref name="shape"/>: "ND" at an N×D shape; at an N×C×H×W shape "NCHW"
    /// for an implementation that computes in NCHW and "NHWC" for one of rows × channels (the N×D kernels on N·H·W rows,
    /// and the oneDNN peers given the batch as nhwc); "NCHW" for the oneDNN peers given it as nchw; "—" for a yardstick.
    /// </summary>
    public static string LayoutOf(string id, string shape, Registry? registry = null) =>
        IsYardstick(id) ? "—"
        : BenchmarkOptions.Spatial(shape) is null ? "ND"
        : PeerSet.IsPeer(id) ? (PeerSet.IsNchw(id) ? "NCHW" : "NHWC")
        : (registry ?? BuiltIn.Implementations).Get(BaseId(id)).Layout == Layout.NCHW ? "NCHW" : "NHWC";

    /// <summary>"f32" or "f64" for a name (the peers are float32); implementation ids are looked up in <paramref name="registry"/> (default: the built-in ones).</summary>
    public static string TypeOf(string id, Registry? registry = null) =>
        IsYardstick(id) || PeerSet.IsPeer(id) ? (id.EndsWith("f32", StringComparison.Ordinal) ? "f32" : "f64")
        : (registry ?? BuiltIn.Implementations).Get(BaseId(id)).ElementType == typeof(float) ? "f32" : "f64";

    /// <summary>True for the fast kernels and their variants (the paired roofline measures these).</summary>
    public static bool IsFast(string id, Registry? registry = null) =>
        !IsYardstick(id) && !PeerSet.IsPeer(id) && (registry ?? BuiltIn.Implementations).Get(BaseId(id)).Info.Family == Family.Fast;

    /// <summary>True when an implementation can be timed: it computes in float32 or float64 through <see cref="IBatchNormBackward{T}"/> (one whose constructor threw cannot).</summary>
    public static bool IsTimable(IBatchNormBackward impl) => impl is IBatchNormBackward<double> or IBatchNormBackward<float>;

    /// <summary>
    /// True when the name runs on several threads with <paramref name="threads"/> workers: the multi-core yardstick, the
    /// multi-core peer, or a kernel whose options allow more than one.
    /// </summary>
    public static bool IsMultiCore(string id, int threads, Registry? registry = null) =>
        IsYardstick(id) ? id.StartsWith("bandwidth-mt-", StringComparison.Ordinal) && threads > 1
        : PeerSet.IsPeer(id) ? PeerSet.IsParallel(id) && threads > 1
        : Resolve(id, threads, registry) is ITunableBackward { Options.Threads: > 1 };

    /// <summary>
    /// True when the name runs on the calling thread alone at <paramref name="shape"/>: a one-thread yardstick, a one-thread
    /// implementation, or a multi-core kernel that gives the shape one worker (<see cref="FusedBackward.WorkersFor"/> for the
    /// rows × channels kernels, which split rows; <see cref="SpatialFusedBackward.WorkersFor"/> for the NCHW ones, which split
    /// channels, also at an N×D shape). Such a
    /// pair is compared on the thread CPU clock (<see cref="Gate.GateMeasurement"/>). A peer never counts: oneDNN runs on
    /// its own OpenMP threads, so only the wall clock sees its work.
    /// </summary>
    public static bool RunsOnOneThread(string id, string shape, int threads, Registry? registry = null)
    {
        if (PeerSet.IsPeer(id)) return false;
        if (IsYardstick(id)) return !IsMultiCore(id, threads);
        var impl = Resolve(id, threads, registry);
        if (impl is not ITunableBackward tunable) return true;
        var (n, d) = BenchmarkOptions.ParseShape(shape);
        int size = TypeOf(id, registry) == "f32" ? 4 : 8;
        return (impl.Layout == Layout.NCHW
            ? SpatialFusedBackward.WorkersFor(BenchmarkOptions.Spatial(shape) ?? SpatialShape.Planar(n, d), size, tunable.Options)
            : FusedBackward.WorkersFor(n, d, size, tunable.Options)) == 1;
    }

    /// <summary>
    /// The multi-core yardstick writes dx with non-temporal stores from this many bytes of dx on: 16 MiB, the kernels'
    /// default, but the yardstick's own constant, so that a change of the kernels' threshold moves the kernels and not
    /// the yardstick they are measured against.
    /// </summary>
    public const long MultiCoreNonTemporalBytes = 16L << 20;

    /// <summary>
    /// The yardstick with the memory pattern a kernel is built for, as registered (not as a variant changes it):
    /// <c>bandwidth-mt-T</c> for a multi-core kernel, <c>bandwidth-nt-T</c> for a one-thread kernel whose store policy
    /// uses non-temporal stores (always, or when dx is large), <c>bandwidth-T</c> otherwise. The choice reads the kernel's
    /// thread count and store policy only, never its size thresholds: a threshold raised out of reach (non-temporal
    /// stores never used) is a regression the yardstick must not follow. The gate's memory-bound ratio of a kernel is to
    /// this yardstick, a like-for-like roofline that moves with the machine's bandwidth as the kernel does; should a
    /// kernel's thread count or store policy change, so does its yardstick, and the gate fails until the baseline is refreshed.
    /// </summary>
    public static string YardstickFor(string id, string shape, int threads)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var impl = Resolve(BaseId(id), threads);
        string type = TypeOf(id);
        if (impl is not ITunableBackward tunable) return $"bandwidth-{type}";
        if (tunable.Options.Threads > 1) return $"bandwidth-mt-{type}";
        return tunable.Options.Stores == NonTemporal.Never ? $"bandwidth-{type}" : $"bandwidth-nt-{type}";
    }

    /// <summary>
    /// Builds (or reuses) the inputs of (name, shape) and returns the call to time. An implementation gets the data in the
    /// memory order of its layout (NCHW or rows × channels, <see cref="BenchData{T}.For(string, Layout)"/>); a peer is
    /// bound by <paramref name="peers"/>, the run's loaded peers; implementation ids are looked up in <paramref name="registry"/>
    /// (default: the built-in ones).
    /// </summary>
    public static Action Bind(string id, string shape, int threads, PeerSet? peers = null, Registry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(shape);
        if (PeerSet.IsPeer(id)) return (peers ?? PeerSet.None).Bind(id, shape);
        if (IsYardstick(id))
        {
            var (n, d) = BenchmarkOptions.ParseShape(shape);
            int t = id.StartsWith("bandwidth-mt-", StringComparison.Ordinal) ? threads : 1;
            // The multi-core yardstick stores as the multi-core kernels are meant to: non-temporal once dx exceeds 16 MiB.
            bool nt = id.StartsWith("bandwidth-nt-", StringComparison.Ordinal)
                || (t > 1 && (long)n * d * (TypeOf(id) == "f32" ? 4 : 8) >= MultiCoreNonTemporalBytes);
            if (TypeOf(id) == "f32")
            {
                var data = BenchData<float>.For(shape);
                return () => StreamKernel.Consume(StreamKernel.Run(data.Cache.X, data.Dout, data.Dx, nt, t));
            }
            else
            {
                var data = BenchData<double>.For(shape);
                return () => StreamKernel.Consume(StreamKernel.Run(data.Cache.X, data.Dout, data.Dx, nt, t));
            }
        }
        var impl = Resolve(id, threads, registry);
        switch (impl)
        {
            case IBatchNormBackward<double> f64:
            {
                var data = BenchData<double>.For(shape, impl.Layout);
                return () => f64.Backward(data.Cache, data.Dout, data.Dx, data.Dgamma, data.Dbeta);
            }
            case IBatchNormBackward<float> f32:
            {
                var data = BenchData<float>.For(shape, impl.Layout);
                return () => f32.Backward(data.Cache, data.Dout, data.Dx, data.Dgamma, data.Dbeta);
            }
            default:
                throw new NotSupportedException($"{id}: element type {impl.ElementType.Name} is not benchmarked.");
        }
    }
}
