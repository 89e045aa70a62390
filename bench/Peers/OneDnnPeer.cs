using BnVerify.Bench.Benchmarks;

namespace BnVerify.Bench.Peers;

/// <summary>
/// oneDNN's float32 batch normalization backward as an <see cref="IBatchNormBackward{T}"/>, so the gradient checker and
/// the golden cases judge it exactly as they judge BnVerify's kernels. It lives in the bench assembly (family
/// <see cref="Family.Peer"/>), where <see cref="Registry"/> does not look: it is a peer to compare with, not one of ours.
/// <para>
/// Memory order: described as <see cref="OneDnnLayout.Nhwc4D"/> (the default) it computes in rows × channels, as
/// BnVerify's N×D kernels do (<see cref="Layout.ND"/>, which is NHWC memory for an N×C×H×W batch); described as
/// <see cref="OneDnnLayout.Nchw4D"/> it computes in NCHW (<see cref="Layout.NCHW"/>), as the spatial-nchw kernels do.
/// </para>
/// <para>
/// Statistics: <see cref="BatchNormBackward{T}.Compute"/> gives oneDNN the cache's mean and variance (float32, rounded from
/// the float64 forward), the same inputs every BnVerify backward reads, so the checker judges oneDNN's backward alone, as
/// it judges ours. oneDNN's own forward would add its forward's rounding (float32 column sums of x, whose error grows as
/// N·κ·u with the column's offset κ = max|x|/std), which is not a property of the backward. The benchmark rows
/// (<see cref="PeerSet"/>) do run oneDNN's forward training once, outside the timing, to produce the statistics.
/// </para>
/// <para>
/// Each call prepares a <see cref="OneDnnBatchNorm"/> for the problem's shape, copies the inputs into its buffers, runs
/// the backward and copies the gradients out: fine for the checker's small problems; the benchmark times a prepared
/// <see cref="OneDnnBatchNorm"/> instead.
/// </para>
/// </summary>
public sealed class OneDnnBackwardF32 : BatchNormBackward<float>
{
    private readonly OneDnnLibrary _library;

    /// <summary>The peer on <paramref name="threads"/> OpenMP threads, under the benchmark id <paramref name="id"/>, given the batch as <paramref name="layout"/>.</summary>
    public OneDnnBackwardF32(OneDnnLibrary library, string id, int threads, OneDnnLayout layout = OneDnnLayout.Nhwc4D)
        : base(BackwardInfo.Correct(id,
            $"oneDNN {library?.Version} ({library?.Name}): batch normalization backward through its C API, the batch as " +
            $"{Described(layout)}, {threads} OpenMP thread{(threads == 1 ? "" : "s")}",
            Family.Peer), layout == OneDnnLayout.Nchw4D ? Layout.NCHW : Layout.ND)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        (_library, Threads, OneDnnLayout) = (library, threads, layout);
    }

    /// <summary>OpenMP threads oneDNN runs on.</summary>
    public int Threads { get; }

    /// <summary>How the batch is described to oneDNN.</summary>
    public OneDnnLayout OneDnnLayout { get; }

    /// <summary>The tensor oneDNN is given, in words: "{N, C, H, W} nhwc", "{N, C, H, W} nchw" or "{N, D} nc".</summary>
    public static string Described(OneDnnLayout layout) => layout switch
    {
        OneDnnLayout.Nhwc4D => "{N, C, H, W} nhwc (an N×D batch as {N, D, 1, 1})",
        OneDnnLayout.Nchw4D => "{N, C, H, W} nchw",
        _ => "{N, D} nc",
    };

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<float> cache, ReadOnlySpan<float> dout, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        using var bn = new OneDnnBatchNorm(_library, cache.Shape, cache.Eps, Threads, OneDnnLayout);
        cache.X.CopyTo(bn.X);
        dout.CopyTo(bn.Dout);
        cache.Gamma.CopyTo(bn.Gamma);
        cache.Beta.CopyTo(bn.Beta);
        cache.Mean.CopyTo(bn.Mean);
        cache.Var.CopyTo(bn.Variance);
        bn.Backward();
        bn.Dx.CopyTo(dx);
        bn.Dgamma.CopyTo(dgamma);
        bn.Dbeta.CopyTo(dbeta);
    }
}

/// <summary>
/// The peer rows of one benchmark run: oneDNN on one thread (<c>onednn-f32</c>) and, when the run has more than one
/// thread, on the run's thread count (<c>onednn-parallel-f32</c>), given the batch channels last (nhwc, its fast path);
/// and the same two on NCHW data (<c>onednn-nchw-f32</c>, <c>onednn-nchw-parallel-f32</c>), timed at N×C×H×W shapes only
/// (at an N×D shape nchw is the plain row-major tensor that oneDNN runs through a generic kernel; see
/// <see cref="AppliesAt"/>). When oneDNN cannot be loaded: no rows and a one-line reason with the install command.
/// Prepared primitives are kept per (id, shape) until <see cref="Dispose"/>.
/// </summary>
public sealed class PeerSet : IDisposable
{
    /// <summary>The one-thread peer's id.</summary>
    public const string OneThreadId = "onednn-f32";

    /// <summary>The multi-thread peer's id (thread count = the run's --threads).</summary>
    public const string ParallelId = "onednn-parallel-f32";

    /// <summary>The one-thread peer on NCHW data.</summary>
    public const string NchwOneThreadId = "onednn-nchw-f32";

    /// <summary>The multi-thread peer on NCHW data.</summary>
    public const string NchwParallelId = "onednn-nchw-parallel-f32";

    /// <summary>Every peer id a run can have, in the order the rows are listed.</summary>
    public static IReadOnlyList<string> AllIds { get; } = [OneThreadId, ParallelId, NchwOneThreadId, NchwParallelId];

    private readonly Dictionary<(string Id, string Shape), OneDnnBatchNorm> _prepared = [];

    private PeerSet(OneDnnLibrary? library, IReadOnlyList<OneDnnBackwardF32> peers, string? unavailable,
        (string Forward, string Backward)? implementations = null, (string Forward, string Backward)? nchwImplementations = null)
    {
        Library = library;
        Peers = peers;
        Unavailable = unavailable;
        Implementations = implementations;
        NchwImplementations = nchwImplementations;
    }

    /// <summary>A set with no peers and no message (a run without float32).</summary>
    public static PeerSet None { get; } = new(null, [], null);

    /// <summary>
    /// Loads oneDNN from <paramref name="libraryName"/> (and its OpenMP runtime <paramref name="openMpLibraryName"/>) and
    /// makes the peers for a run on <paramref name="threads"/> threads; never throws for a missing library, nor for a
    /// library that cannot build the primitives (both give no peers and a one-line reason).
    /// </summary>
    public static PeerSet Load(int threads, string libraryName = OneDnnLibrary.DefaultLibraryName, string openMpLibraryName = OneDnnLibrary.DefaultOpenMpLibraryName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (!OneDnnLibrary.TryLoad(libraryName, openMpLibraryName, out var library, out var unavailable))
            return new PeerSet(null, [], unavailable);
        (string, string) implementations, nchwImplementations;
        try
        {
            // Probes: the primitives of small problems, and the names of the implementations oneDNN chose for them.
            using var probe = new OneDnnBatchNorm(library, 64, 256, 1e-5, 1);
            implementations = (probe.ForwardImplementation, probe.BackwardImplementation);
            using var nchwProbe = new OneDnnBatchNorm(library, new SpatialShape(4, 64, 14, 14), 1e-5, 1, OneDnnLayout.Nchw4D);
            nchwImplementations = (nchwProbe.ForwardImplementation, nchwProbe.BackwardImplementation);
        }
        catch (OneDnnException e)
        {
            return new PeerSet(null, [], $"oneDNN is not usable: {libraryName} {library.Version} loaded but {e.Message}; reinstall it with `{OneDnnLibrary.InstallCommand}`");
        }
        var peers = new List<OneDnnBackwardF32> { new(library, OneThreadId, 1) };
        if (threads > 1) peers.Add(new OneDnnBackwardF32(library, ParallelId, threads));
        peers.Add(new OneDnnBackwardF32(library, NchwOneThreadId, 1, OneDnnLayout.Nchw4D));
        if (threads > 1) peers.Add(new OneDnnBackwardF32(library, NchwParallelId, threads, OneDnnLayout.Nchw4D));
        return new PeerSet(library, peers, null, implementations, nchwImplementations);
    }

    /// <summary>True for a peer id (<c>onednn-*</c>), whether or not the library is present.</summary>
    public static bool IsPeer(string id) => id?.StartsWith("onednn-", StringComparison.Ordinal) == true;

    /// <summary>True for a peer id that runs on the run's thread count rather than one thread.</summary>
    public static bool IsParallel(string id) => id is ParallelId or NchwParallelId;

    /// <summary>True for a peer id given the batch in NCHW order.</summary>
    public static bool IsNchw(string id) => id is NchwOneThreadId or NchwParallelId;

    /// <summary>
    /// True when a name is timed at <paramref name="shape"/>: everything but the NCHW peers, which are timed at N×C×H×W
    /// shapes only (at an N×D shape their tensor is the nc one that oneDNN 2.6 runs 70–90× slower, a row that says
    /// nothing about batch normalization after a convolution).
    /// </summary>
    public static bool AppliesAt(string id, string shape) => !IsNchw(id) || BenchmarkOptions.Spatial(shape) is not null;

    /// <summary>The loaded library (null when unavailable).</summary>
    public OneDnnLibrary? Library { get; }

    /// <summary>The peers to benchmark (empty when unavailable).</summary>
    public IReadOnlyList<OneDnnBackwardF32> Peers { get; }

    /// <summary>Why there are no peers: one line ending with the install command; null when oneDNN loaded.</summary>
    public string? Unavailable { get; }

    /// <summary>
    /// oneDNN's names of the implementations it chose for a 64×256 nhwc problem when loaded, e.g. "bnorm_jit:avx512_core"
    /// (forward, backward); null when unavailable.
    /// </summary>
    public (string Forward, string Backward)? Implementations { get; }

    /// <summary>
    /// oneDNN's names of the implementations it chose for a 4×64×14×14 nchw problem when loaded (the NCHW peers'); null
    /// when unavailable.
    /// </summary>
    public (string Forward, string Backward)? NchwImplementations { get; }

    /// <summary>The peer with this id; throws <see cref="KeyNotFoundException"/> when there is none.</summary>
    public OneDnnBackwardF32 Get(string id) =>
        Peers.FirstOrDefault(p => p.Info.Id == id) ?? throw new KeyNotFoundException($"no peer '{id}' in this run{(Unavailable is null ? "" : ": " + Unavailable)}");

    /// <summary>
    /// The call to time for peer <paramref name="id"/> at <paramref name="shape"/>: the benchmark's float32 data
    /// (<see cref="BenchData{T}"/>, in the peer's memory order) copied once into a prepared <see cref="OneDnnBatchNorm"/>,
    /// oneDNN's forward training run once for the mean and variance, then the backward alone.
    /// </summary>
    public Action Bind(string id, string shape)
    {
        var peer = Get(id);
        if (!AppliesAt(id, shape)) throw new ArgumentException($"{id} is timed at N×C×H×W shapes only, not at {shape}", nameof(shape));
        if (!_prepared.TryGetValue((id, shape), out var bn))
        {
            var data = BenchData<float>.For(shape, peer.Layout);
            var cache = data.Cache;
            bn = new OneDnnBatchNorm(Library!, cache.Shape, cache.Eps, peer.Threads, peer.OneDnnLayout);
            cache.X.CopyTo(bn.X);
            data.Dout.CopyTo(bn.Dout);
            cache.Gamma.CopyTo(bn.Gamma);
            cache.Beta.CopyTo(bn.Beta);
            bn.Forward();
            _prepared[(id, shape)] = bn;
        }
        return bn.Backward;
    }

    /// <summary>"onednn" when the library is loaded, else "none" (the value BenchmarkDotNet shows for the Peers parameter).</summary>
    public override string ToString() => Library is null ? "none" : "onednn";

    /// <summary>Releases the prepared primitives and their buffers.</summary>
    public void Dispose()
    {
        foreach (var bn in _prepared.Values) bn.Dispose();
        _prepared.Clear();
    }
}
