using System.Text.Json.Nodes;
using BnVerify.Bench.Cli;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// One fresh gate baseline, measured once for the gate's end-to-end tests (a short run: one timing process, few rounds and
/// cases, both regimes). A cheap gate run first warms this process up (JIT, the memory-bound inputs), so that the baseline
/// and the runs compared with it are measured in the same state.
/// </summary>
public sealed class GateBaselineFixture : IDisposable
{
    /// <summary>The short run every test uses: one timing process, 12 in-cache and 8 memory-bound rounds, 4 random cases.</summary>
    public static readonly string[] Short = ["--processes", "1", "--rounds", "12", "--memory-rounds", "8", "--cases", "4"];

    public GateBaselineFixture()
    {
        Folder = Directory.CreateTempSubdirectory("bnverify-gate-e2e").FullName;
        var warm = Run("--update-baseline", "--baseline", Path.Combine(Folder, "warm-up.json"), "--rounds", "5", "--memory-rounds", "2", "--cases", "1");
        if (warm.Exit != 0) throw new InvalidOperationException("warm-up gate run failed: " + warm.Stdout + warm.Stderr);
        Update = Run(["--update-baseline", "--baseline", BaselinePath, .. Short]);
    }

    /// <summary>A temporary folder, deleted on dispose.</summary>
    public string Folder { get; }

    /// <summary>The fresh baseline (do not edit: copy it with <see cref="Copy"/>).</summary>
    public string BaselinePath => Path.Combine(Folder, "baseline.json");

    /// <summary>The run that wrote <see cref="BaselinePath"/>.</summary>
    public (int Exit, string Stdout, string Stderr) Update { get; }

    /// <summary>A copy of the baseline under another name, for a test to edit.</summary>
    public string Copy(string name)
    {
        string path = Path.Combine(Folder, name);
        File.Copy(BaselinePath, path, overwrite: true);
        return path;
    }

    /// <summary><c>bnverify gate ARGS</c> in process, plain output.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Cli.Run(["gate", .. args], stdout, stderr, rich: false);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// The gate end to end through the command line: it passes against a baseline it just wrote; fails naming the
/// implementation, the shape and the change when the baseline is edited to claim an implementation was twice as fast (in
/// cache, or against its yardstick when memory-bound) or claims a different verdict; fails naming them when a regression is
/// planted through a kernel option; exit 2 on a malformed baseline.
/// These tests decide from timings, so they run in a collection that xunit does not run beside the CPU-heavy property tests,
/// and every slowdown they expect to be caught is far outside the run-to-run spread: a 2× edit, or a planted vector width of
/// 128 bits, 1.86–1.93× slower in cache by the benchmark and 1.73–1.83× by the gate on this machine (README, "CI
/// regression gate"; the kernels' ratios move by less than ±10% between fresh runs). Planted regressions that cost less
/// than the tolerance here (non-temporal stores off, software prefetch on, one thread for the parallel kernels: a few percent to
/// +24% at the memory-bound shapes on this VM) are timed but not asserted on.
/// </summary>
[Collection(nameof(SerialCollection))]
public sealed class GateEndToEndTests(GateBaselineFixture fixture) : IClassFixture<GateBaselineFixture>
{
    private static (int Exit, string Stdout, string Stderr) Gate(params string[] args) => GateBaselineFixture.Run([.. args, .. GateBaselineFixture.Short]);

    private static void Edit(string path, string id, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root["implementations"]!.AsArray().Select(e => e!.AsObject()).Single(e => (string?)e["id"] == id));
        File.WriteAllText(path, root.ToJsonString());
    }

    private static JsonObject Timing(JsonObject entry, string regime) =>
        entry["timings"]!.AsArray().Select(t => t!.AsObject()).Single(t => (string?)t["regime"] == regime);

    [Fact]
    public void A_fresh_baseline_records_both_regimes_and_the_gate_passes_against_it()
    {
        Assert.True(fixture.Update.Exit == 0, fixture.Update.Stdout + fixture.Update.Stderr);
        var root = JsonNode.Parse(File.ReadAllText(fixture.BaselinePath))!.AsObject();
        Assert.Equal("bnverify-baseline/2", (string?)root["format"]);
        var nt = root["implementations"]!.AsArray().Select(e => e!.AsObject()).Single(e => (string?)e["id"] == "fused-simd-nt-f64");
        Assert.Equal("128x64", (string?)Timing(nt, "in-cache")["shape"]);
        var memory = Timing(nt, "memory-bound");
        Assert.Equal(("4096x1024", "bandwidth-nt-f64"), ((string?)memory["shape"], (string?)memory["reference"]));
        var parallel = root["implementations"]!.AsArray().Select(e => e!.AsObject()).Single(e => (string?)e["id"] == "fused-simd-parallel-f32");
        Assert.Equal(("8192x1024", "bandwidth-mt-f32", "wall"), ((string?)Timing(parallel, "memory-bound")["shape"], (string?)Timing(parallel, "memory-bound")["reference"], (string?)Timing(parallel, "memory-bound")["clock"]));

        // As .ci/run uses the gate: a failure (exit 1) is measured once more before it counts. These runs time each kernel in
        // one process (Short), and a one-thread float32 kernel's memory-bound ratio to its yardstick moves between processes:
        // fused-simd-nt-f32 measured 1.14–1.47 in six single-process baselines in a row on the AVX-512 VM (1.37–1.58 with the
        // kernels before the alignment change), so one run in a few lands beyond the 15% tolerance; a real slowdown
        // reproduces, and the edited-baseline and planted-regression tests below must still fail.
        var pass = Gate("--baseline", fixture.BaselinePath);
        if (pass.Exit == 1) pass = Gate("--baseline", fixture.BaselinePath);
        Assert.True(pass.Exit == 0, pass.Stdout + pass.Stderr);
        Assert.Contains("gate: PASS", pass.Stdout);
    }

    [Fact]
    public void A_baseline_edited_to_claim_faster_kernels_or_another_verdict_fails_naming_each()
    {
        string path = fixture.Copy("edited.json");
        // In cache: fused-simd-f64 claimed four times as fast (a claim of 2× measured +88% at p = 0.011 under a load average
        // of 12–16 from other builds: the in-cache rounds cannot always make a 2× change significant on a busy 2-core
        // machine). Memory-bound: fused-simd-nt-f64 claimed twice as close to its yardstick (paired, so far less noisy).
        Edit(path, "fused-simd-f64", e => Timing(e, "in-cache")["ratio"] = (double)Timing(e, "in-cache")["ratio"]! / 4);
        Edit(path, "fused-simd-nt-f64", e => Timing(e, "memory-bound")["ratio"] = (double)Timing(e, "memory-bound")["ratio"]! / 2);
        // seed002-alt declared (and found) correct in the baseline: its verdict has changed since.
        Edit(path, "seed002-alt", e =>
        {
            e["declared"] = "correct";
            e["verdict"] = "correct";
        });
        var run = Gate("--baseline", path);
        Assert.True(run.Exit == 1, run.Stdout + run.Stderr);
        string verdictLine = run.Stdout.Split('\n').Single(l => l.StartsWith("gate: FAIL", StringComparison.Ordinal));
        Assert.Matches(@"fused-simd-f64 at 128×64 \(in-cache\): slower: [\d.]+× the reference, was [\d.]+× \(\+\d+\.\d%\)", verdictLine);
        Assert.Matches(@"fused-simd-nt-f64 at 4096×1024 \(memory-bound\): slower: [\d.]+× bandwidth-nt-f64, was [\d.]+× \(\+\d+\.\d%\)", verdictLine);
        Assert.Contains("seed002-alt: verdict changed", verdictLine);
    }

    [Fact]
    public void Planted_regressions_beyond_the_tolerance_fail_naming_the_kernel_the_shape_and_the_change()
    {
        // One plant per kernel, each through an option of the kernels, timed in place of the real kernel. A vector width of
        // 128 bits costs 1.86–1.93× in cache (the benchmark, --variant ID:width=128), far beyond the 25% tolerance: these must
        // fail. The other three cost −13% to +8% here (at the memory-bound shapes; nothing in cache): timed, not asserted.
        var run = Gate("--baseline", fixture.BaselinePath,
            "--plant", "fused-simd-f64:width=128", "--plant", "fused-simd-nt-f32:width=128", "--plant", "fused-simd-parallel-f32:width=128",
            "--plant", "fused-simd-nt-f64:stores=never", "--plant", "fused-simd-parallel-f64:threads=1", "--plant", "fused-simd-f32:prefetch=on");
        Assert.True(run.Exit == 1, run.Stdout + run.Stderr);
        Assert.Contains("gate: PLANTED regressions", run.Stdout);
        string verdictLine = run.Stdout.Split('\n').Single(l => l.StartsWith("gate: FAIL", StringComparison.Ordinal));
        foreach (var id in new[] { "fused-simd-f64", "fused-simd-nt-f32", "fused-simd-parallel-f32" })
            Assert.Matches($@"{id} at 128×64 \(in-cache\): slower: [\d.]+× the reference, was [\d.]+× \(\+\d+\.\d%\), beyond the 25% tolerance", verdictLine);
        // Only speed moved: every verdict is as declared.
        Assert.DoesNotContain("verdict", verdictLine);
    }

    [Fact]
    public void A_plant_is_refused_with_update_baseline_and_a_bad_plant_is_exit_2()
    {
        var update = GateBaselineFixture.Run("--update-baseline", "--baseline", Path.Combine(fixture.Folder, "never.json"), "--plant", "fused-simd-f64:width=128");
        Assert.Equal(2, update.Exit);
        Assert.Contains("--plant and --update-baseline", update.Stderr);
        Assert.False(File.Exists(Path.Combine(fixture.Folder, "never.json")));

        var bad = GateBaselineFixture.Run("--baseline", fixture.BaselinePath, "--plant", "fused-simd-f64:width=64");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("width=64: must be 512, 256 or 128", bad.Stderr);
        var twice = GateBaselineFixture.Run("--baseline", fixture.BaselinePath, "--plant", "fused-simd-f64:width=128", "--plant", "fused-simd-f64:prefetch=on");
        Assert.Equal(2, twice.Exit);
        Assert.Contains("one plant per kernel", twice.Stderr);
    }

    [Fact]
    public void Gate_exits_2_on_a_missing_or_malformed_baseline_and_writes_nothing()
    {
        string folder = Directory.CreateTempSubdirectory("bnverify-gate-bad").FullName;
        try
        {
            string path = Path.Combine(folder, "baseline.json");
            var missing = Gate("--baseline", path);
            Assert.Equal(2, missing.Exit);
            Assert.Contains("no such baseline file", missing.Stderr);

            File.WriteAllText(path, "{\"format\": \"bnverify-baseline/2\", \"implementations\": [{\"id\": \"x\", \"declared\": \"maybe\"}]}");
            var malformed = Gate("--baseline", path);
            Assert.Equal(2, malformed.Exit);
            Assert.Contains("implementations[0].declared", malformed.Stderr);
            Assert.Single(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
