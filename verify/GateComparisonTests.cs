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

    private static GateEntry Entry(string id, double? ratio, double noise = 0.05, int seed = 1, string declared = "correct", string verdict = "correct") =>
        new(id, "f64", declared, verdict, ratio, ratio is { } r ? Samples(r, noise, seed) : []);

    private static Baseline Baseline(params GateEntry[] entries) =>
        new(BnVerify.Bench.Gate.Baseline.FormatTag, "2026-12-01T00:00:00Z", "test machine", "alt-simplified", 1024, 256, entries);

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
        var edited = Entry("fast", 0.4, seed: 2) with { Ratio = 0.2 };
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
            Assert.Equal(baseline.Implementations[0].Samples, loaded.Implementations[0].Samples);

            Assert.Contains("no such baseline file", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(Path.Combine(folder, "none.json"))).Message);
            File.WriteAllText(path, "{ not json");
            Assert.Contains("not a readable baseline", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(path)).Message);
            File.WriteAllText(path, "{\"format\": \"other/1\", \"reference\": \"x\", \"implementations\": []}");
            Assert.Contains("format is 'other/1'", Assert.Throws<InvalidDataException>(() => BnVerify.Bench.Gate.Baseline.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
