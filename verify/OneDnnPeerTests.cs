using System.Text.RegularExpressions;
using BnVerify.Bench;
using BnVerify.Bench.Benchmarks;
using BnVerify.Bench.Peers;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// oneDNN, the benchmark's peer (bench/Peers/): its float32 gradients pass the same checker as BnVerify's kernels, with the
/// same float32 allowance, on random problems, larger shapes and PyTorch's golden cases; the prepared primitive allocates
/// nothing per call; a missing library gives one line with the install command. Never skipped: when libdnnl.so.2 is
/// missing these tests fail with that line (.ci/run installs it). Speed is never asserted here.
/// </summary>
public sealed class OneDnnPeerTests(ITestOutputHelper output)
{
    /// <summary>The library, or a failure naming why it is missing and how to install it.</summary>
    private static OneDnnLibrary Library()
    {
        Assert.True(OneDnnLibrary.TryLoad(OneDnnLibrary.DefaultLibraryName, OneDnnLibrary.DefaultOpenMpLibraryName, out var library, out var why), why);
        return library;
    }

    private static OneDnnBackwardF32 Peer(int threads = 1) => new(Library(), threads == 1 ? PeerSet.OneThreadId : PeerSet.ParallelId, threads);

    private static OneDnnBackwardF32 NchwPeer(int threads = 1) =>
        new(Library(), threads == 1 ? PeerSet.NchwOneThreadId : PeerSet.NchwParallelId, threads, OneDnnLayout.Nchw4D);

    [Fact]
    public void The_peer_is_a_correct_float32_peer_outside_the_registry()
    {
        var peer = Peer();
        Assert.Equal(Family.Peer, peer.Info.Family);
        Assert.Equal(Verdict.Correct, peer.Info.Declared);
        Assert.Equal(typeof(float), peer.ElementType);
        Assert.False(BuiltIn.Implementations.Exists(peer.Info.Id));
        Assert.DoesNotContain(BuiltIn.Implementations.All, i => i.Info.Family == Family.Peer);
    }

    [Fact]
    public void The_nhwc_description_gets_the_jit_kernel_and_the_nc_description_does_not()
    {
        var library = Library();
        using var nhwc = new OneDnnBatchNorm(library, 64, 256, 1e-5, threads: 1);
        using var nc = new OneDnnBatchNorm(library, 64, 256, 1e-5, threads: 1, OneDnnLayout.Nc2D);
        output.WriteLine($"oneDNN {library.Version}: nhwc {nhwc.ForwardImplementation} / {nhwc.BackwardImplementation}; nc {nc.ForwardImplementation} / {nc.BackwardImplementation}");
        Assert.StartsWith("bnorm_jit", nhwc.BackwardImplementation, StringComparison.Ordinal);
        Assert.StartsWith("bnorm_jit", nhwc.ForwardImplementation, StringComparison.Ordinal);
        Assert.DoesNotContain("jit", nc.BackwardImplementation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Peer_matches_the_numerical_gradient_on_random_problems(int threads)
    {
        // The property tests' range (N ≤ 64, D ≤ 16, offsets to 1e4, spreads 1e-3..1e3, zero-variance columns, eps 1e-8..1e-1)
        // and the same float32 allowance as fused-simd-f32: (8·u32·(N + 4 + √N·κ) + ρ) natural units (ErrorModel).
        var peer = Peer(threads);
        var falsified = Properties.Run(p => GradientChecker.Check(peer, p).Pass, 300, theoryCase: $"threads: {threads}");
        if (falsified is not null)
            Assert.Fail($"{peer.Info.Id}: {GradientChecker.Check(peer, falsified.Counterexample).Summary()}\n{Properties.Show(falsified.Counterexample)}\n{falsified.Message}");
    }

    [Theory]
    [InlineData(300, 67, 0.0, 1)]
    [InlineData(1000, 33, 50.0, 1)]
    [InlineData(2048, 130, 0.0, 2)]
    [InlineData(4096, 1000, 3.0, 2)]
    [InlineData(1, 40, 0.0, 1)]
    public void Peer_matches_on_larger_shapes_and_odd_widths(int n, int d, double offset, int threads)
    {
        // D not a multiple of 16 (the AVX-512 float32 width) exercises oneDNN's channel tail; large N its row blocking and
        // the thread split.
        var peer = Peer(threads);
        var problem = FastKernelTests.Random(n, d, seed: n + d, offset: offset, constantCols: d > 2 ? 2 : 0);
        // Element by element (oracle 1) up to N²·D = 4e7 (a second or so), beyond that oracle 2 alone.
        var result = GradientChecker.Check(peer, problem, new CheckOptions(FiniteDifferences: (long)n * n * d <= 40_000_000, ProbesPerGradient: 4));
        output.WriteLine($"{n}x{d} offset {offset}, {threads} thread(s), {result.Oracle}: worst dx {result.MaxError(GradientName.Dx):G3}, dgamma {result.MaxError(GradientName.Dgamma):G3}, dbeta {result.MaxError(GradientName.Dbeta):G3}");
        Assert.True(result.Pass, result.Summary());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_nchw_peer_matches_the_numerical_gradient_on_random_spatial_problems(int threads)
    {
        // The spatial generator's range (N, C ≤ 6, H, W ≤ 7, N = 1 with H·W > 1, constant channels), given to oneDNN in
        // NCHW order (the checker hands a Layout.NCHW implementation its batch in that order); same allowance as above.
        var peer = NchwPeer(threads);
        Assert.Equal(Layout.NCHW, peer.Layout);
        var falsified = Properties.Run(p => GradientChecker.Check(peer, p).Pass, 200, ProblemSource.RandomOnly(GeneratorRange.Spatial), theoryCase: $"threads: {threads}");
        if (falsified is not null)
            Assert.Fail($"{peer.Info.Id}: {GradientChecker.Check(peer, falsified.Counterexample).Summary()}\n{Properties.Show(falsified.Counterexample)}\n{falsified.Message}");
    }

    [Theory]
    [InlineData(OneDnnLayout.Nchw4D)]
    [InlineData(OneDnnLayout.Nhwc4D)]
    public void Both_memory_orders_agree_with_every_golden_NCHW_case(OneDnnLayout layout)
    {
        var peer = new OneDnnBackwardF32(Library(), layout == OneDnnLayout.Nchw4D ? PeerSet.NchwOneThreadId : PeerSet.OneThreadId, 1, layout);
        var cases = CaseFile.Expand(Path.Combine(AppContext.BaseDirectory, "golden", "torch-nchw")).Select(CaseFile.Load).ToList();
        Assert.Equal(11, cases.Count);
        GoldenChecks.AssertAgreesWithEvery(peer, cases, "golden: torch-nchw");
    }

    [Fact]
    public void The_nchw_description_is_the_planes_memory_and_the_nc_description_refuses_a_spatial_batch()
    {
        // The same batch in the two orders gives the same gradients, each in its own order: so nchw really reads planes.
        var library = Library();
        var s = new SpatialShape(3, 5, 4, 6);
        var problem = BatchNormProblem.Spatial(s, Layout.NCHW, FastKernelTests.Random(s.Rows, s.C, seed: 5).X.ToArray(),
            [1, -0.5, 2, 0, 0.25], [0, 1, 2, 3, 4], 1e-5, FastKernelTests.Random(s.Rows, s.C, seed: 6).Dout.ToArray());
        var nchw = new OneDnnBackwardF32(library, PeerSet.NchwOneThreadId, 1, OneDnnLayout.Nchw4D).Run(problem);
        var nhwc = new OneDnnBackwardF32(library, PeerSet.OneThreadId, 1).Run(problem);
        for (int k = 0; k < nchw.Dx.Length; k++) Assert.Equal(nhwc.Dx[k], nchw.Dx[k], 1e-5);
        Assert.Equal(nhwc.Dgamma, nchw.Dgamma, (a, b) => Math.Abs(a - b) <= 1e-4 * (1 + Math.Abs(a)));
        var refused = Assert.Throws<ArgumentException>(() => new OneDnnBatchNorm(library, s, 1e-5, 1, OneDnnLayout.Nc2D));
        Assert.Contains("H·W > 1", refused.Message);
    }

    [Fact]
    public void Peer_agrees_with_every_golden_case()
    {
        var peer = Peer();
        var cases = CaseFile.Expand(Path.Combine(AppContext.BaseDirectory, "golden", "torch")).Select(CaseFile.Load).ToList();
        Assert.Equal(17, cases.Count);
        GoldenChecks.AssertAgreesWithEvery(peer, cases, "golden: torch");
    }

    [Fact]
    public void Prepared_backward_runs_repeatedly_without_allocating_and_gives_the_same_gradients()
    {
        var library = Library();
        var problem = FastKernelTests.Random(512, 96, seed: 7);
        var (_, cache) = BatchNorm.Forward<float>(problem);
        using var bn = new OneDnnBatchNorm(library, problem.N, problem.D, problem.Eps, threads: 1);
        cache.X.CopyTo(bn.X);
        BatchNorm.Round<float>(problem.Dout).CopyTo(bn.Dout);
        cache.Gamma.CopyTo(bn.Gamma);
        cache.Beta.CopyTo(bn.Beta);
        bn.Forward();
        bn.Backward();
        var first = bn.Dx.ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) bn.Backward();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(first, bn.Dx.ToArray());
        bn.Dispose();
        Assert.Throws<ObjectDisposedException>(bn.Backward);
    }

    [Fact]
    public void OneDnn_forward_statistics_agree_with_the_float64_forward_on_a_well_conditioned_batch()
    {
        // The benchmark rows take mean and variance from oneDNN's forward training: on the benchmark's kind of data
        // (offset 2, spread 1) they must be the float64 forward's up to float32 rounding of sums of N terms.
        var library = Library();
        var problem = FastKernelTests.Random(1024, 40, seed: 11, offset: 2);
        var (_, exact) = BatchNorm.Forward<double>(problem);
        using var bn = new OneDnnBatchNorm(library, problem.N, problem.D, problem.Eps, threads: 1);
        BatchNorm.Round<float>(problem.X).CopyTo(bn.X);
        BatchNorm.Round<float>(problem.Gamma).CopyTo(bn.Gamma);
        BatchNorm.Round<float>(problem.Beta).CopyTo(bn.Beta);
        bn.Forward();
        double u = 1.0 / (1 << 24);
        for (int j = 0; j < problem.D; j++)
        {
            // Inputs rounded to float32 (|x|·u each) and a float32 sum of N terms (N·u of Σ|x|).
            double meanBound = (problem.N + 2) * u * 8;
            Assert.True(Math.Abs(bn.Mean[j] - exact.Mean[j]) <= meanBound, $"mean[{j}] {bn.Mean[j]} vs {exact.Mean[j]}");
            Assert.True(Math.Abs(bn.Variance[j] - exact.Var[j]) <= 8 * (problem.N + 2) * u * 16 * exact.Var[j] + meanBound,
                $"var[{j}] {bn.Variance[j]} vs {exact.Var[j]}");
        }
    }

    [Fact]
    public void A_missing_library_gives_one_line_with_the_install_command_and_no_peers()
    {
        var peers = PeerSet.Load(2, libraryName: "libdnnl-missing-for-test.so.2");
        Assert.Empty(peers.Peers);
        Assert.Null(peers.Library);
        Assert.NotNull(peers.Unavailable);
        Assert.Contains("libdnnl-missing-for-test.so.2", peers.Unavailable);
        Assert.Contains("apt-get install -y libdnnl2", peers.Unavailable);
        Assert.DoesNotContain('\n', peers.Unavailable);
        string line = ReportWriter.PeerLine(peers, 2);
        Assert.Contains("apt-get install -y libdnnl2", line);
        Assert.DoesNotContain('\n', line);

        var noOmp = PeerSet.Load(1, openMpLibraryName: "libgomp-missing-for-test.so.1");
        Assert.Empty(noOmp.Peers);
        Assert.Contains("libgomp-missing-for-test.so.1", noOmp.Unavailable);
        Assert.Contains("apt-get install -y libdnnl2", noOmp.Unavailable);
    }

    [Fact]
    public void The_default_library_loads_with_one_peer_per_thread_count_and_memory_order()
    {
        var one = PeerSet.Load(1);
        Assert.True(one.Unavailable is null, one.Unavailable);
        Assert.Equal([PeerSet.OneThreadId, PeerSet.NchwOneThreadId], one.Peers.Select(p => p.Info.Id));
        var two = PeerSet.Load(2);
        Assert.Equal([PeerSet.OneThreadId, PeerSet.ParallelId, PeerSet.NchwOneThreadId, PeerSet.NchwParallelId], two.Peers.Select(p => p.Info.Id));
        Assert.Equal(PeerSet.AllIds, two.Peers.Select(p => p.Info.Id));
        Assert.Equal([1, 2, 1, 2], two.Peers.Select(p => p.Threads));
        Assert.Equal([Layout.ND, Layout.ND, Layout.NCHW, Layout.NCHW], two.Peers.Select(p => p.Layout));
        Assert.StartsWith("2.", two.Library!.Version, StringComparison.Ordinal);
        Assert.StartsWith("bnorm_jit", two.Implementations?.Backward, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(two.NchwImplementations?.Backward));
        output.WriteLine($"nhwc: {two.Implementations}; nchw: {two.NchwImplementations}");
        Assert.Contains(two.NchwImplementations!.Value.Backward, ReportWriter.PeerLine(two, 2));
    }

    [Fact]
    public void A_failing_call_is_an_exception_naming_the_call_and_the_status()
    {
        var e = new OneDnnException("dnnl_primitive_desc_create (batch normalization backward)", DnnlStatus.Unimplemented);
        Assert.Contains("dnnl_primitive_desc_create (batch normalization backward)", e.Message);
        Assert.Contains("dnnl_unimplemented (3)", e.Message);
        Assert.Equal(DnnlStatus.Unimplemented, e.Status);
    }
}

/// <summary>
/// The benchmark suite in process with the peer: with oneDNN present its row, the peers table and the paired ratio appear;
/// with a library name that does not exist the report says so in one line and the rest runs. A dry run (one cold call per
/// benchmark): these assert the wiring, nothing about speed, so they need not run alone.
/// </summary>
public sealed class OneDnnSuiteTests
{
    private static string RunSuite(string? libraryName, params string[] shapes)
    {
        string folder = Directory.CreateTempSubdirectory("bnverify-onednn").FullName;
        try
        {
            int code = BenchmarkSuite.RunAsync(new BenchmarkOptions(Impls: ["fused-simd-f32"], Types: ["f32"], Shapes: shapes.Length == 0 ? ["64x256"] : shapes,
                Threads: 2, OutputDirectory: folder, OneDnnLibraryName: libraryName, PairedRounds: 3, Dry: true)).GetAwaiter().GetResult();
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(folder, "throughput.svg")));
            return File.ReadAllText(Path.Combine(folder, "benchmark-report.md"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_suite_ranks_the_peer_and_reports_its_paired_ratio()
    {
        string report = RunSuite(null);
        Assert.Matches(@"\| \*{0,2}onednn-f32\*{0,2} _\(peer\)_ \| correct \|", report);
        Assert.Matches(@"\| \*{0,2}onednn-parallel-f32\*{0,2} _\(peer\)_ \| correct \|", report);
        Assert.Contains("- Peer: oneDNN 2.", report);
        // The peers table: onednn-f32 against the one-thread kernel, with a paired "median (Q1–Q3; min–max; k rounds)".
        Assert.Matches(@"\| onednn-f32 \| 1 \| \*\*fused-simd-f32\*\* \(fastest\) \| \d+\.\d{3} \| \d+\.\d{3} \(\d+\.\d{3}–\d+\.\d{3}; \d+\.\d{3}–\d+\.\d{3}; 3 rounds\) \|", report);
        Assert.Matches(@"onednn-f32 / fused-simd-f32 = \d+\.\d{3} paired", report);
    }

    [Fact]
    public void The_nchw_peers_are_timed_at_spatial_shapes_only_in_their_own_memory_order()
    {
        string report = RunSuite(null, "64x256", "2x16x4x4");
        // One row each, at the N×C×H×W shape, in the NCHW layout column; the nhwc peers have a row at both shapes.
        Assert.Single(Regex.Matches(report, @"\| \*{0,2}onednn-nchw-f32\*{0,2} _\(peer\)_ \| NCHW \| correct \|"));
        Assert.Single(Regex.Matches(report, @"\| \*{0,2}onednn-nchw-parallel-f32\*{0,2} _\(peer\)_ \| NCHW \| correct \|"));
        Assert.Single(Regex.Matches(report, @"\| \*{0,2}onednn-f32\*{0,2} _\(peer\)_ \| NHWC \| correct \|"));
        Assert.Matches(@"onednn-nchw-f32 / fused-simd-f32 = \d+\.\d{3} paired", report);
        Assert.Contains("ncsp_bnorm", report);

        // A run of N×D shapes alone has no NCHW peer at all (nothing to check or time).
        var peers = PeerSet.Load(2);
        Assert.DoesNotContain(BenchmarkSuite.Plan(new BenchmarkOptions(Types: ["f32"], Shapes: ["64x256"]), peers).Ids, PeerSet.IsNchw);
        Assert.Contains(PeerSet.NchwParallelId, BenchmarkSuite.Plan(new BenchmarkOptions(Types: ["f32"], Shapes: ["64x256", "2x16x4x4"]), peers).Ids);
        Assert.Throws<ArgumentException>(() => peers.Bind(PeerSet.NchwOneThreadId, "64x256"));
    }

    [Fact]
    public void Without_the_library_the_report_says_so_in_one_line_and_the_rest_runs()
    {
        string report = RunSuite("libdnnl-missing-for-test.so.2");
        var lines = report.Split('\n').Where(l => l.Contains("apt-get install -y libdnnl2", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains("libdnnl-missing-for-test.so.2", lines[0]);
        Assert.DoesNotContain("onednn-f32", report);
        Assert.Matches(@"\| \*\*fused-simd-f32\*\* \| correct \|", report);
    }
}
