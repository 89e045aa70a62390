using BnVerify.Bench.Benchmarks;
using Xunit;

namespace BnVerify.Verify;

/// <summary>The benchmark report's headline, from synthetic rows.</summary>
public sealed class BenchmarkArgumentTests
{
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

        string report = ReportWriter.Markdown(rows, "quick", plan, "dotnet run -c Release --project bench", TimeSpan.FromMinutes(1), "");
        Assert.Contains("no correct implementation was benchmarked here", report.Split("## Headline")[1].Split("## f64")[0]);
    }
}
