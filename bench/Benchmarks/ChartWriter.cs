using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace BnVerify.Bench.Benchmarks;

/// <summary>The throughput chart: GB/s (log scale) per implementation across the shapes, one line per id; float32 dashed, yardsticks grey, peers (oneDNN) black with diamonds.</summary>
public static class ChartWriter
{
    /// <summary>Writes the chart as SVG (OxyPlot's managed exporter; no native dependency).</summary>
    public static void WriteSvg(IReadOnlyList<BenchRow> rows, IReadOnlyList<string> shapes, string path)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(shapes);
        var model = new PlotModel { Title = "BN backward throughput (5·N·D·sizeof(T) bytes / best time)", Background = OxyColors.White };
        // OxyPlot's SVG exporter sizes text with Helvetica metrics: name a font with those metrics (Arial) so the legend fits.
        model.DefaultFont = "Arial";
        model.Legends.Add(new Legend
        {
            LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside, LegendFontSize = 12,
            LegendPadding = 12,
        });
        var categories = new CategoryAxis { Position = AxisPosition.Bottom, Title = "shape N×D" };
        foreach (var s in shapes) categories.Labels.Add(s.Replace("x", "×", StringComparison.Ordinal));
        model.Axes.Add(categories);
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "GB/s", MajorGridlineStyle = LineStyle.Dot, MinorGridlineStyle = LineStyle.None });
        var palette = OxyPalettes.Jet(Math.Max(2, rows.Select(r => r.Id).Distinct().Count(id => !BenchTargets.IsYardstick(id) && !Peers.PeerSet.IsPeer(id))));
        int colour = 0;
        foreach (var group in rows.GroupBy(r => r.Id).OrderBy(g => BenchTargets.IsYardstick(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            bool stick = BenchTargets.IsYardstick(group.Key);
            bool peer = Peers.PeerSet.IsPeer(group.Key);
            bool flawed = group.Any(r => r.Verdict == "FLAWED");
            var series = new LineSeries
            {
                Title = group.Key + (peer ? " (peer)" : "") + (flawed ? " (FLAWED)" : ""),
                MarkerType = stick ? MarkerType.None : peer ? MarkerType.Diamond : MarkerType.Circle,
                MarkerSize = peer ? 5 : 3,
                LineStyle = stick ? LineStyle.Dot : flawed ? LineStyle.DashDot : group.First().Type == "f32" ? LineStyle.Dash : LineStyle.Solid,
                Color = stick ? OxyColors.Gray : peer ? OxyColors.Black : palette.Colors[colour++ % palette.Colors.Count],
                StrokeThickness = stick ? 1.5 : 2,
            };
            for (int i = 0; i < shapes.Count; i++)
            {
                var row = group.FirstOrDefault(r => r.Shape == shapes[i]);
                if (row is not null && double.IsFinite(row.GBps) && row.GBps > 0) series.Points.Add(new DataPoint(i, row.GBps));
            }
            model.Series.Add(series);
        }
        using var stream = File.Create(path);
        new SvgExporter { Width = 1400, Height = 800, UseVerticalTextAlignmentWorkaround = true }.Export(model, stream);
    }
}
