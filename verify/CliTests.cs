using BnVerify.Checking;
using BnVerify.Bench;
using System.Text.Json;
using System.Text.Json.Nodes;
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
            Assert.Contains(impl.Info.Source, row);
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
        foreach (var impl in BuiltIn.Implementations.All)
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
        Assert.Equal(BuiltIn.Implementations.All.Select(i => i.Info.Id).Where(id => !Ids.BeyondGolden.Contains(id)), impls.Select(i => i.GetProperty("id").GetString()));
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
/// The benchmark suite run in process: it sets BenchmarkSuite.CurrentPlan and times code, so
/// it runs alone (<see cref="SerialCollection"/>).
/// </summary>
[Collection(nameof(SerialCollection))]
public class CliBenchmarkSuiteTests
{
    [Fact]
    public void No_command_runs_the_benchmark_suite_and_writes_the_reports()
    {
        // The smallest suite: two implementations (one of them fast, so the paired roofline runs), one type, one small
        // shape, into a temporary folder (about 15 s). This checks the wiring and the files; it asserts nothing about speed.
        string folder = Directory.CreateTempSubdirectory("bnverify-bench").FullName;
        try
        {
            var run = CliFixture.Run("--quick", "--impl", "alt-simplified", "fused-simd-f64", "--type", "f64", "--shape", "64x256", "--out", folder);
            Assert.Equal(0, run.ExitCode);
            foreach (var file in new[] { "benchmark-report.md", "throughput.svg" })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} was not written");
            string report = File.ReadAllText(Path.Combine(folder, "benchmark-report.md"));
            Assert.Contains("| alt-simplified | correct |", report);
            // The fast kernel's row carries a paired percentage "P% (Q1–Q3)"; alt-simplified's carries none.
            Assert.Matches(@"fused-simd-f64\*{0,2} \| correct \|.*\| \d+% \(\d+–\d+\) \|", report);
            Assert.Matches(@"\| alt-simplified \| correct \|.*\| — \|", report);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
