using BnVerify.Bench.Benchmarks;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The benchmark report and chart at N×C×H×W shapes, on synthetic rows (no timing): one chart panel per element type and
/// layout with every row named, peers and flawed rows apart; the "NCHW against NHWC" section names the faster memory order.
/// </summary>
public sealed class BenchmarkReportLayoutTests
{
    private static BenchRow Row(string id, string type, string shape, string verdict, string layout, double percent, bool multi = false,
        double medianNs = 1e6, double? paired = null) =>
        new(id, type, shape, verdict, medianNs, medianNs, 0, 1_000_000, multi)
        {
            RooflinePercent = percent, Layout = layout, Paired = paired is { } p ? new PairedPercent(p, p - 2, p + 2, 15) : null,
        };

    [Fact]
    public void The_chart_has_a_panel_per_type_and_layout_with_every_row_named_and_the_flawed_and_peers_apart()
    {
        var rows = new List<BenchRow>
        {
            Row("seed001-staged", "f64", "16384x1024", "correct", "ND", 6), Row("fused-simd-nt-f64", "f64", "16384x1024", "correct", "ND", 88),
            Row("fused-simd-nt-f32", "f32", "16384x1024", "correct", "ND", 85), Row("seed002-alt", "f64", "16384x1024", "FLAWED", "ND", 9),
            Row("spatial-nchw-f64", "f64", "256x512x7x7", "correct", "NCHW", 81), Row("spatial-nchw-parallel-f64", "f64", "256x512x7x7", "correct", "NCHW", 84, multi: true),
            Row("spatial-stats-per-image", "f64", "256x512x7x7", "FLAWED", "NCHW", 4), Row("fused-simd-nt-f64", "f64", "256x512x7x7", "correct", "NHWC", 86),
            Row("spatial-nchw-f32", "f32", "256x512x7x7", "correct", "NCHW", 80), Row("fused-simd-nt-f32", "f32", "256x512x7x7", "correct", "NHWC", 83),
            Row("onednn-f32", "f32", "256x512x7x7", "correct", "NHWC", 84),
            Row("bandwidth-nt-f64", "f64", "256x512x7x7", "yardstick", "—", 100),
        };
        string svg = ChartWriter.Svg(rows, ["16384x1024", "256x512x7x7"]);
        var doc = System.Xml.Linq.XDocument.Parse(svg); // well-formed
        Assert.Equal(6, doc.Root!.Elements().Count(e => e.Name.LocalName == "svg")); // 2 types × 3 layouts
        foreach (var title in new[] { "float64, N×D", "float32, N×D", "float64, N×C×H×W in NCHW order", "float32, N×C×H×W in NHWC order" })
            Assert.Contains(title, svg);
        Assert.Contains(">FLAWED seed002-alt<", svg);
        Assert.Contains(">FLAWED spatial-stats-per-image<", svg);
        Assert.Contains(">spatial-nchw-parallel-f64 (all cores)<", svg);
        Assert.Contains(">onednn-f32 (peer)<", svg);
        Assert.Contains("streaming roofline (bandwidth yardstick) = 100%", svg);
        Assert.Contains("80% target", svg);
        Assert.DoesNotContain(">bandwidth-nt-f64<", svg); // the yardstick is the 100% line, not a series
    }

    [Fact]
    public void The_layout_section_names_the_faster_memory_order_per_shape_type_and_thread_count()
    {
        var rows = new List<BenchRow>
        {
            // 56×56 planes, one thread: NCHW paired 84% against NHWC 66%, so NCHW is 84/66 − 1 = 27% faster.
            Row("spatial-nchw-f64", "f64", "32x64x56x56", "correct", "NCHW", 63, medianNs: 10.5e6, paired: 84),
            Row("fused-simd-f64", "f64", "32x64x56x56", "correct", "NHWC", 61, medianNs: 10.4e6, paired: 66),
            Row("fused-simd-nt-f64", "f64", "32x64x56x56", "correct", "NHWC", 59, medianNs: 10.8e6, paired: 64),
            // 7×7 planes, all cores, no paired figure: the medians decide (NHWC 4.86 ms against NCHW 7.16 ms, 47%).
            Row("spatial-nchw-parallel-f64", "f64", "256x512x7x7", "correct", "NCHW", 60, multi: true, medianNs: 7.16e6),
            Row("fused-simd-parallel-f64", "f64", "256x512x7x7", "correct", "NHWC", 96, multi: true, medianNs: 4.86e6),
            // A peer and a flawed NCHW implementation take no part.
            Row("onednn-f32", "f32", "32x64x56x56", "correct", "NHWC", 90, medianNs: 1e6, paired: 86),
            Row("spatial-stats-per-image", "f32", "32x64x56x56", "FLAWED", "NCHW", 99, medianNs: 1e3),
        };
        string section = ReportWriter.LayoutComparison(rows, new SuitePlan(["x"], ["64x256", "32x64x56x56", "256x512x7x7"], 2));
        var lines = section.Split('\n').Where(l => l.StartsWith("| 32×", StringComparison.Ordinal) || l.StartsWith("| 256×", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count); // f32 has no NCHW kernel that is correct, 64x256 is 2-D
        Assert.Equal("| 32×64×56×56 | f64 | 1 | spatial-nchw-f64: 10.50 ms, 84% (82–86) | fused-simd-f64: 10.40 ms, 66% (64–68) | **NCHW**, 27% faster (paired) |", lines[0]);
        Assert.Equal("| 256×512×7×7 | f64 | all | spatial-nchw-parallel-f64: 7.16 ms, — | fused-simd-parallel-f64: 4.86 ms, — | **NHWC**, 47% faster (medians) |", lines[1]);
        Assert.Equal("", ReportWriter.LayoutComparison(rows.Where(r => r.Layout != "NCHW").ToList(), new SuitePlan(["x"], ["32x64x56x56"], 1)));
    }
}
