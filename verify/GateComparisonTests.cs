using BnVerify.Bench.Gate;
using Xunit;

namespace BnVerify.Verify;

/// <summary>The gate's decision on synthetic measurements: what fails, what passes, and what is only reported.</summary>
public sealed class GateComparisonTests
{
    private const double Tolerance = 0.25;

    /// <summary>30 per-round ratios around <paramref name="median"/> with ±<paramref name="noise"/> relative jitter, from a fixed seed.</summary>
    private static double[] Samples(double median, double noise, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 30).Select(_ => median * (1 + noise * (2 * random.NextDouble() - 1))).ToArray();
    }

    private const string InCache = "128x64";
    private const string Streaming = "4096x1024";

    private static GateTiming Timing(double ratio, double noise, int seed, string shape = InCache) =>
        shape == InCache
            ? new GateTiming(shape, Regime.InCache, "alt-simplified", Clock.ThreadCpu, ratio, Samples(ratio, noise, seed))
            : new GateTiming(shape, Regime.MemoryBound, "bandwidth-nt-f64", Clock.ThreadCpu, ratio, Samples(ratio, noise, seed));

    private static GateEntry Entry(string id, double? ratio, double noise = 0.05, int seed = 1, string declared = "correct", string verdict = "correct") =>
        new(id, "f64", declared, verdict, ratio is { } r ? [Timing(r, noise, seed)] : []);

    /// <summary>A fast kernel timed at both shapes.</summary>
    private static GateEntry Kernel(string id, double inCache, double streaming, int seed) =>
        new(id, "f64", "correct", "correct", [Timing(inCache, 0.05, seed), Timing(streaming, 0.05, seed + 100, Streaming)]);

    private static Baseline Baseline(params GateEntry[] entries) =>
        new(BnVerify.Bench.Gate.Baseline.FormatTag, "2026-12-01T00:00:00Z", "test machine", entries);

    [Fact]
    public void A_clear_slowdown_fails_and_names_the_implementation()
    {
        var baseline = Baseline(Entry("alt-simplified", 1), Entry("fast", 0.2, seed: 2));
        var rows = GateComparison.Compare(baseline, [Entry("alt-simplified", 1), Entry("fast", 0.4, seed: 3)], Tolerance);
        var row = rows.Single(r => r.Id == "fast");
        Assert.Equal(GateStatus.Slower, row.Status);
        Assert.True(row.Fails);
        Assert.Contains("slower", row.Message);
        Assert.Contains("+100", row.Message);
    }

    [Fact]
    public void A_change_that_rounds_to_zero_is_printed_with_one_sign()
    {
        // 3.346 against 3.347 is −0.03%: one decimal of a percent shows it as zero, and a two-section format printed "-+0.0%".
        var rows = GateComparison.Compare(Baseline(Entry("alt-simplified", 1), Entry("fast", 3.347)),
            [Entry("alt-simplified", 1), Entry("fast", 3.346)], Tolerance);
        var row = rows.Single(r => r.Id == "fast");
        Assert.Contains("(+0.0%)", row.Message);
        Assert.DoesNotContain("-+", row.Message);
    }

    [Fact]
    public void Noise_within_the_tolerance_passes()
    {
        var baseline = Baseline(Entry("alt-simplified", 1), Entry("fast", 0.2, noise: 0.15, seed: 2));
        // 15% slower median with 15% jitter: inside a 25% tolerance.
        var rows = GateComparison.Compare(baseline, [Entry("alt-simplified", 1), Entry("fast", 0.23, noise: 0.15, seed: 5)], Tolerance);
        Assert.All(rows, r => Assert.False(r.Fails, r.Message));
    }

    [Fact]
    public void A_slowdown_past_the_tolerance_that_is_not_significant_passes()
    {
        // Median 30% slower, but the rounds scatter over ±90%: the test cannot tell it from noise.
        var baseline = Baseline(Entry("fast", 0.2, noise: 0.9, seed: 2));
        var rows = GateComparison.Compare(baseline, [Entry("fast", 0.26, noise: 0.9, seed: 9)], Tolerance);
        var row = rows.Single();
        Assert.Equal(GateStatus.Ok, row.Status);
        Assert.True(row.PValue > 0.01);
    }

    [Fact]
    public void A_baseline_edited_to_claim_twice_the_speed_fails_by_its_stated_ratio()
    {
        // The samples still say 0.4; the ratio field (authoritative) was edited to 0.2.
        var measured = Entry("fast", 0.4, seed: 2);
        var edited = measured with { Timings = [measured.Timings[0] with { Ratio = 0.2 }] };
        var rows = GateComparison.Compare(Baseline(edited), [Entry("fast", 0.4, seed: 3)], Tolerance);
        Assert.Equal(GateStatus.Slower, rows.Single().Status);
    }

    [Fact]
    public void A_correct_implementation_that_now_fails_its_check_fails_the_gate()
    {
        var rows = GateComparison.Compare(Baseline(Entry("fast", 0.2)), [Entry("fast", 0.2, verdict: "flawed")], Tolerance);
        Assert.Equal(GateStatus.VerdictChanged, rows.Single().Status);
        Assert.Contains("declared correct but the checker finds it flawed", rows.Single().Message);
    }

    [Fact]
    public void A_flawed_implementation_no_longer_caught_fails_the_gate()
    {
        var before = Entry("seed002-alt", null, declared: "flawed", verdict: "flawed");
        var rows = GateComparison.Compare(Baseline(before), [before with { Verdict = "correct" }], Tolerance);
        Assert.Equal(GateStatus.VerdictChanged, rows.Single().Status);
        Assert.Contains("no longer catches it", rows.Single().Message);
    }

    [Fact]
    public void A_flipped_declared_verdict_fails_the_gate_even_when_it_matches_what_is_found()
    {
        var before = Entry("x", 1, declared: "flawed", verdict: "flawed");
        var rows = GateComparison.Compare(Baseline(before), [Entry("x", 1, declared: "correct", verdict: "correct")], Tolerance);
        Assert.Equal(GateStatus.VerdictChanged, rows.Single().Status);
    }

    [Fact]
    public void A_missing_implementation_fails_the_gate()
    {
        var rows = GateComparison.Compare(Baseline(Entry("alt-simplified", 1), Entry("gone", 0.5)), [Entry("alt-simplified", 1)], Tolerance);
        var row = rows.Single(r => r.Id == "gone");
        Assert.Equal(GateStatus.Gone, row.Status);
        Assert.True(row.Fails);
    }

    [Fact]
    public void A_new_implementation_passes_with_a_note()
    {
        var rows = GateComparison.Compare(Baseline(Entry("alt-simplified", 1)), [Entry("alt-simplified", 1), Entry("brand-new", 0.1)], Tolerance);
        var row = rows.Single(r => r.Id == "brand-new");
        Assert.Equal(GateStatus.New, row.Status);
        Assert.False(row.Fails);
        Assert.Contains("not in the baseline", row.Message);
    }

    [Fact]
    public void A_slowdown_at_the_memory_bound_shape_fails_naming_the_kernel_the_shape_and_the_change()
    {
        // The same kernel, unchanged in cache, 40% slower against its yardstick when memory-bound.
        var baseline = Baseline(Entry("alt-simplified", 1), Kernel("fused-simd-nt-f64", 0.2, 1.2, seed: 2));
        var rows = GateComparison.Compare(baseline, [Entry("alt-simplified", 1), Kernel("fused-simd-nt-f64", 0.2, 1.68, seed: 3)], new Tolerances(0.25, 0.15));
        var inCache = rows.Single(r => r.Id == "fused-simd-nt-f64" && r.Shape == InCache);
        var streaming = rows.Single(r => r.Id == "fused-simd-nt-f64" && r.Shape == Streaming);
        Assert.Equal(GateStatus.Ok, inCache.Status);
        Assert.Equal(GateStatus.Slower, streaming.Status);
        Assert.Equal(Regime.MemoryBound, streaming.Regime);
        Assert.Contains("fused-simd-nt-f64 at 4096×1024 (memory-bound)", streaming.Subject);
        Assert.Contains("bandwidth-nt-f64", streaming.Message);
        Assert.Contains("+40.0%", streaming.Message);
        Assert.Contains("15% tolerance", streaming.Message);
    }

    [Fact]
    public void Each_regime_has_its_own_tolerance()
    {
        // 20% slower when memory-bound: fails a 15% tolerance, passes a 25% one; the in-cache tolerance plays no part.
        var baseline = Baseline(Kernel("k", 0.2, 1.0, seed: 2));
        var current = new[] { Kernel("k", 0.2, 1.2, seed: 3) };
        Assert.Contains(GateComparison.Compare(baseline, current, new Tolerances(InCache: 0.5, MemoryBound: 0.15)), r => r.Fails);
        Assert.DoesNotContain(GateComparison.Compare(baseline, current, new Tolerances(InCache: 0.05, MemoryBound: 0.25)), r => r.Fails);
    }

    [Fact]
    public void A_timing_not_made_in_this_run_is_reported_and_one_made_against_another_reference_fails()
    {
        var baseline = Baseline(Kernel("k", 0.2, 1.0, seed: 2));
        var inCacheOnly = new GateEntry("k", "f64", "correct", "correct", [Timing(0.2, 0.05, 3)]);
        var row = GateComparison.Compare(baseline, [inCacheOnly], 0.25).Single(r => r.Shape == Streaming);
        Assert.Equal(GateStatus.NotCompared, row.Status);
        Assert.False(row.Fails);

        var otherReference = Kernel("k", 0.2, 3.0, seed: 3);
        otherReference = otherReference with { Timings = [otherReference.Timings[0], otherReference.Timings[1] with { Reference = "bandwidth-f64" }] };
        row = GateComparison.Compare(baseline, [otherReference], 0.25).Single(r => r.Shape == Streaming);
        Assert.Equal(GateStatus.ReferenceChanged, row.Status);
        Assert.True(row.Fails);
        Assert.Contains("not comparable", row.Message);

        // A timing at a shape the baseline lacks is new, not a failure.
        var rows = GateComparison.Compare(Baseline(Entry("k", 0.2, seed: 2)), [Kernel("k", 0.2, 9.0, seed: 3)], 0.25);
        Assert.Equal(GateStatus.New, rows.Single(r => r.Shape == Streaming).Status);
        Assert.DoesNotContain(rows, r => r.Fails);
    }

    [Fact]
    public void A_version_1_baseline_is_read_as_in_cache_timings()
    {
        string folder = Directory.CreateTempSubdirectory("bnverify-gate").FullName;
        try
        {
            string path = Path.Combine(folder, "baseline.json");
            File.WriteAllText(path, """
                {"format": "bnverify-baseline/1", "created": "2026-12-01T09:38:56Z", "machine": "m", "reference": "alt-simplified", "n": 128, "d": 64,
                 "implementations": [
                   {"id": "fused-simd-f64", "type": "f64", "declared": "correct", "verdict": "correct", "ratio": 0.2, "samples": [0.19, 0.2, 0.21]},
                   {"id": "seed002-alt", "type": "f64", "declared": "flawed", "verdict": "flawed", "ratio": null, "samples": []}]}
                """);
            var loaded = BnVerify.Bench.Gate.Baseline.Load(path);
            Assert.Equal(BnVerify.Bench.Gate.Baseline.FormatTag, loaded.Format);
            var timing = Assert.Single(loaded.Implementations[0].Timings);
            Assert.Equal(("128x64", Regime.InCache, "alt-simplified", 0.2), (timing.Shape, timing.Regime, timing.Reference, timing.Ratio));
            Assert.Empty(loaded.Implementations[1].Timings);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Mann_whitney_separates_shifted_samples_and_not_identical_ones()
    {
        var a = Samples(1.0, 0.05, 1);
        Assert.True(MannWhitney.PGreater(a.Select(v => v * 1.5).ToArray(), a) < 1e-6);
        Assert.True(MannWhitney.PGreater(a, a) > 0.4);
        Assert.True(MannWhitney.PGreater(a, a.Select(v => v * 1.5).ToArray()) > 0.999);
    }

    [Fact]
    public void Baseline_round_trips_through_an_atomic_write_and_refuses_malformed_files()
    {
        string folder = Directory.CreateTempSubdirectory("bnverify-gate").FullName;
        try
        {
            string path = Path.Combine(folder, "baseline.json");
            var baseline = Baseline(Entry("alt-simplified", 1), Entry("seed002-alt", null, declared: "flawed", verdict: "flawed"));
            baseline.Save(path);
            Assert.Single(Directory.GetFiles(folder)); // no temporary file left behind
            var loaded = BnVerify.Bench.Gate.Baseline.Load(path);
            Assert.Equal(2, loaded.Implementations.Count);
            Assert.Equal(baseline.Implementations[0].Timings[0].Samples, loaded.Implementations[0].Timings[0].Samples);

            Assert.Contains("no such baseline file", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(Path.Combine(folder, "none.json"))).Message);
            File.WriteAllText(path, "{ not json");
            Assert.Contains("not a readable baseline", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(path)).Message);
            File.WriteAllText(path, "{\"format\": \"other/1\", \"implementations\": []}");
            Assert.Contains("format is 'other/1'", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
