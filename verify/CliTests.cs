using BnVerify.Checking;
using BnVerify.Bench;
using System.Text.Json;
using System.Text.Json.Nodes;
using BnVerify.Bench.Benchmarks;
using BnVerify.Bench.Cli;
using BnVerify.Cases;
using BnVerify.Verify.Support;
using Xunit;

namespace BnVerify.Verify;

/// <summary>The bnverify command line end to end, in process: list, check, cases, help, and the exit codes.</summary>
public sealed class CliTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    [Fact]
    public void List_shows_every_implementation_with_its_declared_verdict_and_source()
    {
        var run = CliFixture.Run("list");
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stderr);
        foreach (var impl in BuiltIn.Implementations.All)
        {
            var row = run.Stdout.Split('\n').Single(l => l.StartsWith(impl.Info.Id + " ", StringComparison.Ordinal));
            Assert.Contains(impl.Info.DeclaredText, row);
            // The source is free text: beside the row when there is room, else under it, wrapped at words.
            Assert.Contains(CliFixture.Normalized(impl.Info.Source), CliFixture.Normalized(run.Stdout));
        }
    }

    [Theory]
    [InlineData]
    [InlineData("list")]
    [InlineData("check")]
    [InlineData("cases")]
    public void Help_works_on_every_command(params string[] command)
    {
        foreach (var flag in new[] { "--help", "-h" })
        {
            var run = CliFixture.Run([.. command, flag]);
            Assert.Equal(0, run.ExitCode);
            Assert.Empty(run.Stderr);
            Assert.Contains("Usage:", run.Stdout);
            Assert.Contains(("bnverify " + string.Join(" ", command)).TrimEnd(), run.Stdout);
        }
    }

    [Theory]
    [InlineData("--shape", "0x5")]
    [InlineData("--impl", "no-such-id")]
    [InlineData("--type", "f16")]
    [InlineData("--threads", "0")]
    public void Bad_benchmark_options_exit_2_before_any_benchmark(string option, string value)
    {
        var run = CliFixture.Run(option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Check_with_a_fixed_seed_finds_every_declared_verdict_and_exits_0()
    {
        var run = CliFixture.Run("check", "--cases", "20", "--seed", "7");
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stderr);
        Assert.StartsWith("seed: 7\n", run.Stdout);
        // 2-D problems check the rows × channels implementations (an NCHW one runs them as H = W = 1: --layout nchw checks it).
        foreach (var impl in BuiltIn.Implementations.All.Where(i => i.Layout != Layout.NCHW))
        {
            var row = run.Stdout.Split('\n').First(l => l.StartsWith(impl.Info.Id + " ", StringComparison.Ordinal));
            var columns = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(impl.Info.DeclaredText, columns[1]);
            Assert.Equal(impl.Info.DeclaredText, columns[2]);
            Assert.Contains(" ok", row);
        }
        Assert.DoesNotContain("MISMATCH", run.Stdout);
    }

    [Fact]
    public void Check_on_spatial_problems_checks_every_implementation_and_prints_NCHW_counterexamples()
    {
        // Every implementation, the mutants whose flaw needs 9 or 33 channels or a single row included: the scheduled shapes
        // reach them as N·H·W rows × C channels.
        var ids = BuiltIn.Implementations.All;
        var run = CliFixture.Run("check", "--layout", "nchw", "--cases", "20", "--seed", "7");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("77 scheduled shapes, as N·H·W rows × C channels", CliFixture.Normalized(run.Stdout));
        Assert.Contains("20 random NCHW (N ≤ 6, C ≤ 6, H ≤ 7, W ≤ 7)", CliFixture.Normalized(run.Stdout));
        foreach (var impl in ids)
        {
            var columns = run.Stdout.Split('\n').First(l => l.StartsWith(impl.Info.Id + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(impl.Info.DeclaredText, columns[2]);
        }
        Assert.Contains("spatial-stats-per-image: smallest failing case", run.Stdout);
        Assert.Contains("\"layout\": \"NCHW\"", run.Stdout);
        Assert.Contains("\"source\": \"bnverify check --seed 7 --layout nchw: case", run.Stdout); // the options that are not defaults
        Assert.Contains("spatial: the statistics are per image", run.Stdout);
    }

    [Fact]
    public void The_NCHW_golden_cases_pass_through_cases_with_spatial_results()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var run = CliFixture.Run("cases", Path.Combine(AppContext.BaseDirectory, "golden", "torch-nchw"), "--json", output, "--emit-gradients",
            "--impl", "spatial-nchw-f32", "spatial-reference", "fused-simd-f64", "spatial-reshape-no-transpose");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Matches(@"nchw-normal-2x3x4x4 +2x3x4x4 +stored", run.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == "nchw-normal-2x3x4x4");
        Assert.Equal("NCHW", c.GetProperty("layout").GetString());
        Assert.Equal([2, 3, 4, 4], c.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(32, c.GetProperty("n").GetInt32()); // the canonical view's rows, N·H·W
        var result = doc.RootElement.GetProperty("implementations")[0].GetProperty("results").EnumerateArray()
            .First(r => r.GetProperty("case").GetString() == "nchw-normal-2x3x4x4");
        var dx = result.GetProperty("gradients").GetProperty("dx");
        Assert.Equal([2, 3, 4, 4], new[] { dx.GetArrayLength(), dx[0].GetArrayLength(), dx[0][0].GetArrayLength(), dx[0][0][0].GetArrayLength() });
        // Without --impl, spatial cases check every implementation.
        // One 8×4×2×2 case cannot show every planted flaw (a column past 8 or 32, a single row, gamma = 0): those
        // mutants pass it and are the only mismatches; every documented implementation gets its declared verdict.
        var all = CliFixture.Run("cases", Path.Combine(AppContext.BaseDirectory, "golden", "torch-nchw", "nchw-normal-8x4x2x2.json"));
        Assert.True(all.ExitCode is 0 or 1, all.Stdout + all.Stderr);
        Assert.All(BuiltIn.Implementations.All, i => Assert.Contains(i.Info.Id, all.Stdout));
        var mismatched = all.Stdout.Split('\n').Where(l => l.StartsWith("MISMATCH ", StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l["MISMATCH ".Length..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.All(mismatched, id => Assert.Equal(Family.Mutant, BuiltIn.Implementations.Get(id).Info.Family));
    }

    [Fact]
    public void Check_is_repeatable_with_a_seed()
    {
        var first = CliFixture.Run("check", "--cases", "10", "--seed", "123", "--impl", "seed002-alt", "--impl", "alt-simplified");
        var second = CliFixture.Run("check", "--cases", "10", "--seed", "123", "--impl", "seed002-alt,alt-simplified");
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Fact]
    public void Check_without_a_seed_prints_the_seed_it_drew()
    {
        // Random shapes only: this is about the seed, and the scheduled shapes are exercised by the tests above.
        var run = CliFixture.Run("check", "--cases", "3", "--impl", "alt-simplified", "--no-schedule");
        Assert.Equal(0, run.ExitCode);
        var first = run.Stdout.Split('\n')[0];
        Assert.Matches(@"^seed: \d+$", first);
        // The printed seed reproduces the run.
        var again = CliFixture.Run("check", "--cases", "3", "--impl", "alt-simplified", "--no-schedule", "--seed", first["seed: ".Length..]);
        Assert.Equal(run.Stdout, again.Stdout);
    }

    [Fact]
    public void Check_on_a_flawed_implementation_prints_a_small_shrunk_case_that_still_fails()
    {
        var run = CliFixture.Run("check", "--impl", "seed002-alt", "--cases", "20", "--seed", "2");
        Assert.Equal(0, run.ExitCode); // declared flawed, found flawed
        Assert.Contains("seed002-alt: smallest failing case", run.Stdout);
        Assert.Contains("dx fails", run.Stdout);

        // The case is printed in full, as a case file that can be fed back.
        var lines = run.Stdout.Split('\n');
        int start = Array.IndexOf(lines, "{"), end = Array.IndexOf(lines, "}", start);
        Assert.True(start >= 0 && end > start, run.Stdout);
        string path = fixture.WriteCase("shrunk.json", string.Join("\n", lines[start..(end + 1)]));
        var shrunk = CaseFile.Load(path);
        Assert.True(shrunk.Problem.N <= 4, $"shrunk case has N = {shrunk.Problem.N}");
        Assert.Null(shrunk.Expected);

        // Fed back through `cases` (numerical oracle, no expected values): it fails seed002-alt and passes the correct form.
        var alt = CliFixture.Run("cases", path, "--impl", "seed002-alt");
        Assert.Equal(0, alt.ExitCode);
        Assert.Contains("FAIL", alt.Stdout);
        var correct = CliFixture.Run("cases", path, "--impl", "alt-simplified");
        Assert.Equal(0, correct.ExitCode);
        Assert.DoesNotContain("FAIL", correct.Stdout);
    }

    [Fact]
    public void Check_exits_1_when_a_found_verdict_differs_from_the_declared_one()
    {
        // With one row (N = 1) the exact dx is 0 and the chain-rule formula's missing cross-sample terms do not show:
        // on random shapes alone (no scheduled shapes) the declared-flawed implementation passes every case, so its found verdict differs.
        var run = CliFixture.Run("check", "--impl", "seed001-chain-rule", "--cases", "5", "--max-n", "1", "--seed", "1", "--no-schedule");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("MISMATCH", run.Stdout);
        Assert.Empty(run.Stderr);
    }

    [Fact]
    public void Shipped_golden_cases_pass_and_write_a_results_file_in_the_documented_format()
    {
        string folder = fixture.NewFolder();
        string output = Path.Combine(folder, "out.json");
        // Every implementation whose flaw can show on the golden shapes (Ids.BeyondGolden are caught by check's scheduled shapes).
        var run = CliFixture.Run(["cases", CliFixture.GoldenFolder, "--json", output, "--emit-gradients", .. Ids.GoldenImplArgs]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Empty(run.Stderr);
        Assert.Equal(["out.json"], Directory.GetFiles(folder).Select(Path.GetFileName)); // no temporary file left behind

        var goldenFiles = Directory.GetFiles(CliFixture.GoldenFolder, "*.json");
        Assert.Equal(17, goldenFiles.Length);
        var caseFiles = goldenFiles.Select(CaseFile.Load).ToDictionary(c => c.Name);

        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        var root = doc.RootElement;
        Assert.Equal("bnverify-results/1", root.GetProperty("format").GetString());
        Assert.True(root.GetProperty("ok").GetBoolean());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(caseFiles.Count, cases.Count);
        foreach (var c in cases)
        {
            var file = caseFiles[c.GetProperty("name").GetString()!];
            Assert.Equal(file.Problem.N, c.GetProperty("n").GetInt32());
            Assert.Equal(file.Problem.D, c.GetProperty("d").GetInt32());
            Assert.Equal(file.Problem.Eps, c.GetProperty("eps").GetDouble());
        }
        var impls = root.GetProperty("implementations").EnumerateArray().ToList();
        Assert.Equal(Ids.GoldenImplIds, impls.Select(i => i.GetProperty("id").GetString()));
        foreach (var impl in impls)
        {
            var info = BuiltIn.Implementations.Get(impl.GetProperty("id").GetString()!).Info;
            Assert.Equal(info.DeclaredText, impl.GetProperty("expected").GetString());
            Assert.Equal(info.DeclaredText, impl.GetProperty("verdict").GetString());
            var results = impl.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(caseFiles.Count, results.Count);
            bool anyFailed = false;
            foreach (var r in results)
            {
                var file = caseFiles[r.GetProperty("case").GetString()!];
                bool pass = r.GetProperty("pass").GetBoolean();
                anyFailed |= !pass;
                foreach (var g in new[] { "dx", "dgamma", "dbeta" })
                {
                    // An infinite error (a nonzero gradient where the natural unit is 0, e.g. gamma = 0) is written as null.
                    var error = r.GetProperty("error").GetProperty(g);
                    if (error.ValueKind == JsonValueKind.Null) Assert.False(pass);
                    else Assert.True(error.GetDouble() >= 0);
                }
                var gradients = r.GetProperty("gradients");
                var dx = gradients.GetProperty("dx").EnumerateArray().ToList();
                Assert.Equal(file.Problem.N, dx.Count);
                Assert.All(dx, row => Assert.Equal(file.Problem.D, row.GetArrayLength()));
                Assert.Equal(file.Problem.D, gradients.GetProperty("dgamma").GetArrayLength());
                Assert.Equal(file.Problem.D, gradients.GetProperty("dbeta").GetArrayLength());
            }
            Assert.Equal(info.Declared == Verdict.Flawed, anyFailed);
        }
    }

    [Fact]
    public void Results_file_has_no_gradients_without_emit_gradients_and_the_correct_ones_match_torch()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var run = CliFixture.Run("cases", Path.Combine(CliFixture.GoldenFolder, "normal-2x1.json"), "--json", output, "--impl", "alt-simplified");
        Assert.Equal(0, run.ExitCode);
        var root = JsonNode.Parse(File.ReadAllText(output))!;
        var result = root["implementations"]![0]!["results"]![0]!.AsObject();
        Assert.False(result.ContainsKey("gradients"));
        Assert.True(result["pass"]!.GetValue<bool>());
        Assert.Equal("normal-2x1", result["case"]!.GetValue<string>());
    }

    [Fact]
    public void Cases_exits_1_when_a_found_verdict_differs_and_still_writes_the_results()
    {
        // On a single row seed002-alt's mistake does not show: declared flawed, found correct.
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        var run = CliFixture.Run("cases", Path.Combine(CliFixture.GoldenFolder, "single-row-1x5.json"), "--impl", "seed002-alt", "--json", output);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("MISMATCH", run.Stdout);
        var root = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.False(root["ok"]!.GetValue<bool>());
        Assert.Equal("correct", root["implementations"]![0]!["verdict"]!.GetValue<string>());
        Assert.Equal("flawed", root["implementations"]![0]!["expected"]!.GetValue<string>());
    }

    [Fact]
    public void A_case_without_expected_values_is_checked_against_the_numerical_oracle()
    {
        var golden = CaseFile.Load(Path.Combine(CliFixture.GoldenFolder, "normal-5x3.json"));
        string path = fixture.WriteCase("no-expected.json", CaseWriter.ToJson("no-expected-5x3", "test", golden.Problem));
        string output = Path.Combine(Path.GetDirectoryName(path)!, "results.json");
        // One case cannot catch every flawed implementation (a flaw at N = 1 or past 64 rows passes a 5×3 case): a few that it does.
        var run = CliFixture.Run("cases", path, "--json", output, "--impl", "seed000-layer,seed002-alt,alt-simplified,fused-simd-f32");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("numerical", run.Stdout);
        var root = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.Equal("finite differences", root["implementations"]![0]!["results"]![0]!["oracle"]!.GetValue<string>());
    }

    [Fact]
    public void Cases_says_under_the_grid_why_each_failure_fails()
    {
        var run = CliFixture.Run("cases", Path.Combine(CliFixture.GoldenFolder, "normal-2x1.json"), Path.Combine(CliFixture.GoldenFolder, "normal-3x4.json"),
            "--impl", "seed002-alt,alt-simplified");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        int grid = Array.FindIndex(lines, l => l.StartsWith("normal-3x4 ", StringComparison.Ordinal));
        int why = Array.FindIndex(lines, l => l.StartsWith("why each FAIL fails", StringComparison.Ordinal));
        Assert.True(grid >= 0 && why > grid, run.Stdout);
        // One reason per FAIL: the gradient and element, expected against actual, and the error against its bound.
        var reasons = lines.Where(l => l.StartsWith("  seed002-alt on ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.Matches(@"^  seed002-alt on normal-2x1: dx\[\d\]\[\d\] expected -?\d\.\d+E-06, actual -?\d\.\d+: error \S+ exceeds bound \S+E-\d+$", reasons[0]);
        Assert.StartsWith("  seed002-alt on normal-3x4: dx[", reasons[1]);
        Assert.DoesNotContain("alt-simplified on ", run.Stdout);
        // Without a failure there is nothing to explain.
        var pass = CliFixture.Run("cases", Path.Combine(CliFixture.GoldenFolder, "normal-2x1.json"), "--impl", "alt-simplified");
        Assert.DoesNotContain("why each FAIL fails", pass.Stdout);
    }

    [Fact]
    public void An_existing_results_file_is_replaced()
    {
        string output = Path.Combine(fixture.NewFolder(), "out.json");
        File.WriteAllText(output, "old");
        var run = CliFixture.Run("cases", Path.Combine(CliFixture.GoldenFolder, "normal-3x4.json"), "--json", output, "--impl", "seed000-layer,seed002-alt,alt-simplified");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("{", File.ReadAllText(output));
    }

    [Fact]
    public void The_same_file_named_twice_is_read_once()
    {
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, Path.Combine(CliFixture.GoldenFolder, "normal-3x4.json"), "--impl", "seed000-layer");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("17 case(s)", run.Stdout);
    }

    [Fact]
    public void Case_randoms_depend_only_on_seed_and_index()
    {
        Assert.Equal(ProblemSource.CaseRandom(5, 3).Next(), ProblemSource.CaseRandom(5, 3).Next());
        Assert.NotEqual(ProblemSource.CaseRandom(5, 3).Next(), ProblemSource.CaseRandom(5, 4).Next());
        Assert.NotEqual(ProblemSource.CaseRandom(5, 3).Next(), ProblemSource.CaseRandom(6, 3).Next());
    }
}

/// <summary>
/// The benchmark suite run in process. Each run's plan travels in its own BenchmarkDotNet cases (no process-wide setting),
/// so two suites run side by side in one process here, and beside the other tests: they time code but assert nothing about speed.
/// </summary>
public class CliBenchmarkSuiteTests
{
    [Fact]
    public async Task Two_suites_in_one_process_at_once_each_report_only_their_own_plan()
    {
        // The smallest suites, dry (one cold call per benchmark): a fast kernel in each (so the paired roofline runs), one
        // type, one small shape, each into its own temporary folder; the second also measures a kernel variant. This checks
        // the wiring, the files and that the runs do not see each other's plan; it asserts nothing about speed.
        string a = Directory.CreateTempSubdirectory("bnverify-bench").FullName;
        string b = Directory.CreateTempSubdirectory("bnverify-bench").FullName;
        try
        {
            var runs = await Task.WhenAll(
                Task.Run(() => CliFixture.Run("--dry", "--impl", "alt-simplified", "fused-simd-f64", "--type", "f64", "--shape", "64x256", "--rounds", "3", "--out", a)),
                Task.Run(() => CliFixture.Run("--dry", "--impl", "fused-simd-f32", "--type", "f32", "--shape", "32x128", "--rounds", "3",
                    "--variant", "fused-simd-f32:prefetch=off", "--out", b)));
            Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Stderr));
            foreach (var folder in new[] { a, b })
                foreach (var file in new[] { "benchmark-report.md", "throughput.svg" })
                    Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} was not written to {folder}");

            string first = File.ReadAllText(Path.Combine(a, "benchmark-report.md"));
            Assert.StartsWith("# BnVerify benchmark report\n\n" + ReportWriter.DryWarning, first.ReplaceLineEndings("\n"));
            Assert.Contains("job `dry`", first);
            Assert.Contains(ReportWriter.DryMutationScore, first);
            // Either may be the faster in a dry run (one cold call each), and the fastest is in bold.
            Assert.Matches(@"\| \*{0,2}alt-simplified\*{0,2} \| correct \|", first);
            // The fast kernel's row carries a paired percentage "P% (Q1–Q3)"; alt-simplified's carries none.
            Assert.Matches(@"fused-simd-f64\*{0,2} \| correct \|.*\| \d+% \(\d+–\d+\) \|", first);
            Assert.Matches(@"\| \*{0,2}alt-simplified\*{0,2} \| correct \|.*\| — \|", first);
            Assert.Contains("## f64, 64×256", first);
            Assert.DoesNotContain("f32", first.Split("## Verification")[0]);

            string second = File.ReadAllText(Path.Combine(b, "benchmark-report.md"));
            Assert.Contains("## f32, 32×128", second);
            Assert.DoesNotContain("64×256", second);
            Assert.DoesNotContain("alt-simplified", second.Split("## Verification")[0]);
            Assert.Contains("| `fused-simd-f32:prefetch=off` | 32×128 |", second);
        }
        finally
        {
            Directory.Delete(a, recursive: true);
            Directory.Delete(b, recursive: true);
        }
    }

    [Fact]
    public void Only_the_full_default_suite_writes_to_reports_anything_less_to_an_ignored_folder()
    {
        const string root = "/repo";
        Assert.Equal(Path.GetFullPath("/repo/reports"), new BenchmarkOptions().EffectiveOutputDirectory(root));
        foreach (var partial in new[]
                 {
                     new BenchmarkOptions(Quick: true), new BenchmarkOptions(Impls: ["alt-simplified"]), new BenchmarkOptions(Types: ["f64"]),
                     new BenchmarkOptions(Shapes: ["64x256"]), new BenchmarkOptions(Threads: 1), new BenchmarkOptions(Variants: ["fused-simd-f64:prefetch=off"]),
                     new BenchmarkOptions(PairedRounds: 3), new BenchmarkOptions(Dry: true),
                 })
            Assert.Equal(Path.GetFullPath("/repo/reports/partial"), partial.EffectiveOutputDirectory(root));
        Assert.Equal(Path.GetFullPath("/elsewhere"), new BenchmarkOptions(Quick: true, OutputDirectory: "/elsewhere").EffectiveOutputDirectory(root));
        Assert.Contains("/reports/partial/", File.ReadAllText(Path.Combine(RepositoryRoot(), ".gitignore")));
    }

    [Fact]
    public void Each_case_carries_its_own_plan()
    {
        var config = BenchmarkDotNet.Configs.ManualConfig.CreateEmpty().AddJob(BenchmarkDotNet.Jobs.Job.Dry);
        var one = BenchmarkSuite.Cases(new SuitePlan(["alt-simplified", "bandwidth-f64"], ["64x256", "128x64"], 2), config);
        var two = BenchmarkSuite.Cases(new SuitePlan(["fused-simd-f32:prefetch=off"], ["32x128"], 1), config);
        Assert.Equal(4, one.BenchmarksCases.Length);
        Assert.Equal(["alt-simplified", "bandwidth-f64", "alt-simplified", "bandwidth-f64"], one.BenchmarksCases.Select(c => (string)c.Parameters["Impl"]));
        Assert.All(one.BenchmarksCases, c => Assert.Equal(2, (int)c.Parameters["Threads"]));
        var only = Assert.Single(two.BenchmarksCases);
        Assert.Equal(("fused-simd-f32:prefetch=off", "32x128", 1), ((string)only.Parameters["Impl"], (string)only.Parameters["Shape"], (int)only.Parameters["Threads"]));
    }

    [Fact]
    public void Each_kernel_is_paired_with_the_yardstick_of_its_threads_and_store_policy_whatever_the_size()
    {
        // The pairing reads the kernel's thread count and store policy, never its size thresholds: at 64×256, far below the
        // 16 MiB from which the non-temporal kernels really store non-temporally, they are still paired with bandwidth-nt-*,
        // so that raising that threshold out of reach (the regression of issue 13) moves the kernel and not its yardstick.
        foreach (var shape in new[] { "64x256", "4096x1024" })
        {
            Assert.Equal("bandwidth-f64", BenchTargets.YardstickFor("fused-simd-f64", shape, 2));
            Assert.Equal("bandwidth-nt-f64", BenchTargets.YardstickFor("fused-simd-nt-f64", shape, 2));
            Assert.Equal("bandwidth-nt-f32", BenchTargets.YardstickFor("fused-simd-nt-f32:nt-threshold=max", shape, 2));
            Assert.Equal("bandwidth-mt-f32", BenchTargets.YardstickFor("fused-simd-parallel-f32", shape, 2));
        }
        Assert.True(BenchTargets.RunsOnOneThread("fused-simd-parallel-f64", "128x64", 2));
        Assert.False(BenchTargets.RunsOnOneThread("fused-simd-parallel-f64", "4096x1024", 2));
        Assert.False(BenchTargets.RunsOnOneThread("bandwidth-mt-f64", "128x64", 2));
    }

    [Fact]
    public void One_worker_or_several_is_decided_by_the_kernels_own_split()
    {
        // The rows × channels kernels split 256-row chunks, the NCHW ones channels: at 256×256 with no size threshold the
        // first has one chunk (one thread, so the thread CPU clock may time it) and the second two workers (wall clock only:
        // the calling thread's CPU time would miss the other worker's half).
        Assert.True(BenchTargets.RunsOnOneThread("fused-simd-parallel-f32:parallel-threshold=0", "256x256", 2));
        Assert.False(BenchTargets.RunsOnOneThread("spatial-nchw-parallel-f32:parallel-threshold=0", "256x256", 2));
        Assert.False(BenchTargets.RunsOnOneThread("spatial-nchw-parallel-f32:parallel-threshold=0", "1x64x8x8", 2));
        Assert.True(BenchTargets.RunsOnOneThread("spatial-nchw-parallel-f32", "1x64x8x8", 2));
        Assert.True(BenchTargets.RunsOnOneThread("spatial-nchw-parallel-f32:parallel-threshold=0", "1x1x8x8", 2));
    }

    [Theory]
    [InlineData("--variant", "nope:prefetch=off", "unknown implementation id 'nope'")]
    [InlineData("--variant", "seed001-staged:prefetch=off", "has no kernel options")]
    [InlineData("--variant", "fused-simd-f64:width=64", "width=64: must be 512, 256 or 128")]
    [InlineData("--variant", "fused-simd-f64:speed=11", "unknown setting 'speed'")]
    [InlineData("--variant", "fused-simd-f64", "is not ID:KEY=VALUE")]
    public void A_bad_variant_is_exit_2_with_one_line(string option, string value, string expected)
    {
        var run = CliFixture.Run("--quick", option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        throw new InvalidOperationException("no BnVerify.sln above the test assembly");
    }
}
