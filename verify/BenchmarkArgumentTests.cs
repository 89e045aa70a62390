using BnVerify.Bench.Benchmarks;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The benchmark (the root command) checks its arguments before any work: one line on stderr naming the option, exit 2,
/// nothing written (no output folder, no report, no partial folder). Timing needs a Release build; the report's "Command:"
/// line is the exact command; a run of flawed implementations only still has a headline.
/// </summary>
public sealed class BenchmarkArgumentTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    /// <summary>Bad benchmark arguments (besides --out, which each case gets as a folder that must stay uncreated) and what the line says.</summary>
    public static TheoryData<string[], string> BadArguments => new()
    {
        { ["--shape", "100000x100000"], "--shape 100000x100000: needs about " },
        { ["--shape", "100000x100000"], " GB for its arrays (float64 and float32 inputs and outputs); this machine has " },
        { ["--shape", "30000x30000", "--type", "f32"], "--shape 30000x30000: needs about " },
        { ["--shape", "0x5"], "--shape 0x5: N is 0; every extent must be at least 1" },
        { ["--shape", "64x0"], "--shape 64x0: D is 0; every extent must be at least 1" },
        { ["--shape", "-5x3"], "--shape -5x3: N is -5; every extent must be at least 1" },
        { ["--shape", "99999999999x2"], "--shape 99999999999x2: N = 99999999999 is too large; an extent is at most 2147483647" },
        { ["--shape", "32x64x0x56"], "--shape 32x64x0x56: H is 0" },
        { ["--shape", "2x3x4"], "--shape 2x3x4: has 3 extents" },
        { ["--shape", "64by32"], "--shape 64by32: is not a shape NxD or NxCxHxW" },
        { ["--impl", "alt-simplifed"], "--impl: unknown implementation id 'alt-simplifed'; did you mean 'alt-simplified'?" },
        { ["--impl", "bandwidth-f65"], "--impl: unknown implementation id 'bandwidth-f65'; did you mean 'bandwidth-f64'?" },
        { ["--impl", "seed002-alt,nope"], "--impl: unknown implementation id 'nope'" },
        { ["--impl", ""], "--impl: no implementation id given (an empty value)" },
        { ["--impl", "fused-simd-f64:prefetch=off"], "--impl: 'fused-simd-f64:prefetch=off' is a kernel variant, not an implementation id; give it to --variant" },
        { ["--variant", "fused-simd-nt-f6:prefetch=off"], "--variant: 'fused-simd-nt-f6:prefetch=off': unknown implementation id 'fused-simd-nt-f6'; did you mean 'fused-simd-nt-f64'?" },
        { ["--variant", "seed001-staged:prefetch=off"], "--variant: 'seed001-staged:prefetch=off': seed001-staged has no kernel options" },
        { ["--assembly", "no-such-assembly.dll"], "--assembly no-such-assembly.dll: no such file" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void A_bad_argument_is_one_line_exit_2_before_any_work(string[] args, string expected)
    {
        string parent = fixture.NewFolder();
        string output = Path.Combine(parent, "report");
        var run = CliFixture.Run(["--quick", .. args, "--out", output]);
        AssertRefused(run, expected);
        Assert.False(Directory.Exists(output), "the output folder was created");
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void Out_naming_an_existing_file_is_refused_and_the_file_left_alone()
    {
        string file = fixture.WriteCase("report.md", "my notes");
        var run = CliFixture.Run("--quick", "--impl", "alt-simplified", "--type", "f64", "--shape", "64x32", "--out", file);
        AssertRefused(run, $"--out {file}: is a file; --out names the folder the report, chart and exports are written into");
        Assert.Equal("my notes", File.ReadAllText(file));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(file)!));
    }

    [Fact]
    public void Out_in_a_missing_folder_is_refused_and_no_folder_is_created()
    {
        string parent = fixture.NewFolder();
        string output = Path.Combine(parent, "nodir", "sub");
        var run = CliFixture.Run("--quick", "--impl", "alt-simplified", "--type", "f64", "--shape", "64x32", "--out", output);
        AssertRefused(run, $"--out {output}: the folder {Path.Combine(parent, "nodir")} does not exist; create it first (only the last folder of --out is created)");
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void Out_rule_the_folder_itself_may_be_new_its_parent_must_exist()
    {
        string parent = fixture.NewFolder();
        Assert.Null(BenchmarkChecks.Output(null));
        Assert.Null(BenchmarkChecks.Output(parent));
        Assert.Null(BenchmarkChecks.Output(Path.Combine(parent, "new")));
        Assert.Contains("does not exist", BenchmarkChecks.Output(Path.Combine(parent, "a", "b")));
        Assert.Contains("no folder given", BenchmarkChecks.Output(""));
        Assert.Empty(Directory.GetFileSystemEntries(parent)); // the write test leaves nothing behind
    }

    [Fact]
    public void Without_out_a_refused_run_writes_nothing_to_the_partial_folder_either()
    {
        string partial = Path.Combine(RepositoryRoot(), BenchmarkOptions.PartialFolder);
        var before = Snapshot(partial);
        foreach (var args in new[] { new[] { "--shape", "100000x100000" }, ["--impl", "alt-simplifed"], ["--shape", "0x5"] })
            AssertRefused(CliFixture.Run(["--quick", .. args]), args[0]);
        Assert.Equal(before, Snapshot(partial));
    }

    [Fact]
    public void Memory_is_estimated_from_what_the_run_allocates_and_refused_with_the_numbers()
    {
        // 64x256 in both types is well under a megabyte of arrays per copy; the default suite fits in a few GB.
        Assert.InRange(BenchmarkChecks.BytesNeeded(new BenchmarkOptions(), BenchmarkOptions.DefaultShapes), 1e9, 6e9);
        Assert.Null(BenchmarkChecks.Memory(new BenchmarkOptions(Shapes: ["64x256"]), 24_000_000_000));
        // 10^10 values: float64 keeps x, xhat, dout, dx (32 B), float32 16 B and the two oneDNN peers 24 B; building the
        // float64 data set needs 32 B more: 104 B per value.
        var huge = new BenchmarkOptions(Shapes: ["100000x100000"], Threads: 2);
        Assert.Equal(104e10, BenchmarkChecks.BytesNeeded(huge, ["100000x100000"]));
        Assert.Equal("--shape 100000x100000: needs about 1040 GB for its arrays (float64 and float32 inputs and outputs); this machine has 24 GB",
            BenchmarkChecks.Memory(huge, 24_000_000_000));
        // Each fits alone (4.3 GB), not together (6.4 GB): every shape's data stays for the whole run.
        var two = new BenchmarkOptions(Types: ["f64"], Shapes: ["8192x8192", "8192x8191"]);
        Assert.Null(BenchmarkChecks.Memory(two with { Shapes = ["8192x8192"] }, 5_000_000_000));
        Assert.StartsWith("--shape 8192x8192 8192x8191: need about 6.4 GB for their arrays together", BenchmarkChecks.Memory(two, 5_000_000_000));
        // Unknown memory: not checked, but one array still has to hold the shape.
        Assert.Equal("--shape 50000x50000: has 2500000000 values; one array holds at most 2147483591", BenchmarkChecks.Memory(new BenchmarkOptions(Shapes: ["50000x50000"]), 0));
        Assert.True(BenchmarkChecks.MachineMemoryBytes > 0);
    }

    [Fact]
    public void A_debug_build_is_refused_unless_allowed()
    {
        // The test assembly and bnverify are built in the same configuration.
        Assert.Equal(BenchmarkChecks.IsDebug(typeof(BenchmarkArgumentTests).Assembly), BenchmarkChecks.IsDebugBuild);
        var options = new BenchmarkOptions(Quick: true, Types: ["f64"], Shapes: ["64x32"]);
        string? refused = BenchmarkChecks.Problem(options, debugBuild: true, memoryBytes: 0);
        Assert.NotNull(refused);
        Assert.StartsWith("this bnverify is a Debug build", refused);
        Assert.Contains("-c Release", refused);
        Assert.Contains("--allow-debug", refused);
        Assert.DoesNotContain('\n', refused);
        Assert.Null(BenchmarkChecks.Problem(options with { AllowDebug = true }, debugBuild: true, memoryBytes: 0));
        Assert.Null(BenchmarkChecks.Problem(options, debugBuild: false, memoryBytes: 0));
        if (BenchmarkChecks.IsDebugBuild)
            AssertRefused(CliFixture.Run("--quick", "--type", "f64", "--shape", "64x32", "--out", Path.Combine(fixture.NewFolder(), "r")), "is a Debug build");
    }

    [Fact]
    public void The_command_line_is_the_exact_command_with_every_option()
    {
        Assert.Equal("dotnet run -c Release --project bench", BenchmarkSuite.CommandLine(new BenchmarkOptions(), release: true));
        var options = new BenchmarkOptions(Quick: true, Impls: ["alt-simplified", "fused-simd-f64"], Types: ["f64"], Shapes: ["64x32", "32x64x56x56"],
            Threads: 2, OutputDirectory: "my reports/run 1", Variants: ["fused-simd-f64:prefetch=off"], PairedRounds: 3,
            Assemblies: ["../mine/bin/Release/net10.0/Mine.dll"]);
        Assert.Equal(
            "dotnet run -c Release --project bench -- --quick --impl alt-simplified fused-simd-f64 --type f64 --shape 64x32 32x64x56x56 --threads 2 " +
            "--variant fused-simd-f64:prefetch=off --rounds 3 --assembly ../mine/bin/Release/net10.0/Mine.dll --out 'my reports/run 1'",
            BenchmarkSuite.CommandLine(options, release: true));
        // A Debug build: no "-c Release", and the --allow-debug it needed.
        Assert.Equal("dotnet run --project bench -- --shape 64x32 --out 'it'\\''s here' --allow-debug",
            BenchmarkSuite.CommandLine(new BenchmarkOptions(Shapes: ["64x32"], OutputDirectory: "it's here", AllowDebug: true), release: false));
    }

    [Fact]
    public void The_headline_says_when_no_correct_implementation_was_benchmarked()
    {
        var plan = new SuitePlan(["seed002-alt", "seed000-snippet", "bandwidth-f64"], ["64x32", "128x64"], 1);
        var rows = new List<BenchRow>();
        foreach (var shape in plan.Shapes)
        {
            var (n, d) = BenchmarkOptions.ParseShape(shape);
            long bytes = 5L * n * d * 8;
            rows.Add(new BenchRow("seed002-alt", "f64", shape, "FLAWED", 1000, 900, 0, bytes, false));
            rows.Add(new BenchRow("seed000-snippet", "f64", shape, "FLAWED", 2000, 1900, 0, bytes, false));
            rows.Add(new BenchRow("bandwidth-f64", "f64", shape, "yardstick", 100, 90, 0, bytes, false));
        }
        // At 128x64 a correct one ran too.
        rows.Add(new BenchRow("alt-simplified", "f64", "128x64", "correct", 1500, 1400, 0, 5L * 128 * 64 * 8, false));
        var headline = ReportWriter.Headline(rows, plan);
        Assert.Equal(2, headline.Count); // no f32 line: float32 was not in the run
        Assert.Equal("- f64 64x32: no correct implementation was benchmarked here; only flawed ones were: seed002-alt, seed000-snippet (timed in the table below, never ranked)", headline[0]);
        Assert.StartsWith("- f64 128x64: fastest correct **alt-simplified**", headline[1]);

        string report = ReportWriter.Markdown(rows, "quick", plan, "dotnet run --project bench -- --allow-debug", TimeSpan.FromMinutes(1), "", debugBuild: true);
        string head = report.Split("## Headline")[0];
        Assert.Contains(ReportWriter.DebugWarning, head);
        Assert.Contains("- Build: **Debug**", head);
        Assert.Contains("no correct implementation was benchmarked here", report.Split("## Headline")[1].Split("## f64")[0]);
        Assert.Contains("- Build: Release", ReportWriter.Markdown(rows, "quick", plan, "x", TimeSpan.Zero, ""));
        Assert.DoesNotContain("Debug build", ReportWriter.Markdown(rows, "quick", plan, "x", TimeSpan.Zero, ""));
    }

    private static void AssertRefused(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Stderr}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("bnverify: error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("System.", line);
        Assert.DoesNotContain("Exception", line);
        Assert.Empty(run.Stdout);
    }

    private static string[] Snapshot(string folder) =>
        Directory.Exists(folder) ? Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(f => $"{f} {File.GetLastWriteTimeUtc(f):O}").Order().ToArray() : [];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        throw new InvalidOperationException("no BnVerify.sln above the test assembly");
    }
}
