using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark chart: the share of the streaming roofline each implementation reaches at each shape, one panel per element
/// type and layout (N×D; NCHW and NHWC at the N×C×H×W shapes), so float32 and float64 never share an axis and the two memory
/// orders of a spatial batch sit side by side. The roofline is the labelled 100% line and the target the labelled 80% line;
/// correct implementations are coloured (one colour per id in every panel), peers (oneDNN) black with diamonds and
/// named "… (peer)", flawed ones grey, dash-dotted and named "FLAWED …", and every legend sits under its panel.
/// </summary>
public static class ChartWriter
{
    private const int PanelWidth = 760;
    private const int PlotHeight = 470;
    private const int TitleHeight = 56;
    private const int LegendLine = 18;

    /// <summary>Distinct colours for up to twelve implementations per panel (Tableau's palette); more cycle.</summary>
    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(31, 119, 180), OxyColor.FromRgb(255, 127, 14), OxyColor.FromRgb(44, 160, 44), OxyColor.FromRgb(214, 39, 40),
        OxyColor.FromRgb(148, 103, 189), OxyColor.FromRgb(140, 86, 75), OxyColor.FromRgb(227, 119, 194), OxyColor.FromRgb(188, 189, 34),
        OxyColor.FromRgb(23, 190, 207), OxyColor.FromRgb(31, 60, 110), OxyColor.FromRgb(120, 60, 0), OxyColor.FromRgb(0, 100, 60),
    ];

    /// <summary>A row's share of the roofline: the paired figure where there is one, else the one from best times.</summary>
    public static double Percent(BenchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Paired?.Median ?? row.RooflinePercent;
    }

    /// <summary>Writes the chart as one SVG of panels (OxyPlot's managed exporter per panel; no native dependency).</summary>
    public static void WriteSvg(IReadOnlyList<BenchRow> rows, IReadOnlyList<string> shapes, string path)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(shapes);
        File.WriteAllText(path, Svg(rows, shapes));
    }

    /// <summary>The chart as SVG text.</summary>
    public static string Svg(IReadOnlyList<BenchRow> rows, IReadOnlyList<string> shapes)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(shapes);
        var measured = rows.Where(r => r.Verdict != "yardstick" && double.IsFinite(Percent(r))).ToList();
        var colours = measured.Where(r => r.Verdict == "correct" && !r.Peer).Select(r => r.Id).Distinct().Order(StringComparer.Ordinal)
            .Select((id, k) => (id, k)).ToDictionary(t => t.id, t => Palette[t.k % Palette.Length]);
        string[] types = ["f64", "f32"];
        string[] layouts = ["ND", "NCHW", "NHWC"];
        var columns = layouts.Where(l => measured.Any(r => r.Layout == l)).ToList();
        var panelRows = types.Where(t => measured.Any(r => r.Type == t)).ToList();
        if (columns.Count == 0) columns.Add("ND");
        if (panelRows.Count == 0) panelRows.Add("f64");

        // Each panel: the plot (OxyPlot), then its legend drawn here, two entries per line, as plain SVG text that no
        // font substitution can clip.
        var panels = new List<(int Row, int Col, PlotModel Model, List<Entry> Legend)>();
        for (int r = 0; r < panelRows.Count; r++)
            for (int col = 0; col < columns.Count; col++)
            {
                var (model, legend) = Panel(measured.Where(x => x.Type == panelRows[r] && x.Layout == columns[col]).ToList(), shapes, panelRows[r], columns[col], colours);
                panels.Add((r, col, model, legend));
            }
        int legendHeight = 12 + LegendLine * ((panels.Max(p => p.Legend.Count) + 1) / 2);
        int panelHeight = PlotHeight + legendHeight;
        int width = columns.Count * PanelWidth, height = TitleHeight + panelRows.Count * panelHeight;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"26\" text-anchor=\"middle\" font-family=\"Arial, Helvetica, sans-serif\" font-size=\"20\" font-weight=\"bold\">BN backward: share of the streaming roofline (5·N·D·sizeof(T) bytes at the bandwidth yardstick's speed = 100%)</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"46\" text-anchor=\"middle\" font-family=\"Arial, Helvetica, sans-serif\" font-size=\"13\" fill=\"#444\">fast kernels: median of paired rounds against the yardstick; others: best time against the yardstick's best time. One thread against the one-thread yardstick, multi-core against the best.</text>\n");
        foreach (var (r, col, model, legend) in panels)
        {
            int x = col * PanelWidth, y = TitleHeight + r * panelHeight;
            sb.Append(Embed(model, x, y));
            for (int k = 0; k < legend.Count; k++)
            {
                var e = legend[k];
                int ex = x + 90 + (k % 2) * (PanelWidth - 90) / 2, ey = y + PlotHeight + 8 + (k / 2) * LegendLine;
                string dash = e.Flawed ? " stroke-dasharray=\"6,3,1,3\"" : e.MultiCore ? " stroke-dasharray=\"6,3\"" : "";
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{ex}\" y1=\"{ey}\" x2=\"{ex + 24}\" y2=\"{ey}\" stroke=\"{Hex(e.Colour)}\" stroke-width=\"{(e.Flawed ? 1.2 : 2)}\"{dash}/>");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{ex + 30}\" y=\"{ey + 4}\" font-family=\"Arial, Helvetica, sans-serif\" font-size=\"12\" fill=\"{(e.Flawed ? "#666" : "#000")}\">{Escape(e.Text)}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>One legend entry: its text, colour and line style.</summary>
    private sealed record Entry(string Text, OxyColor Colour, bool Flawed, bool MultiCore);

    private static (PlotModel Model, List<Entry> Legend) Panel(List<BenchRow> rows, IReadOnlyList<string> shapes, string type, string layout, Dictionary<string, OxyColor> colours)
    {
        string typeName = type == "f32" ? "float32" : "float64";
        string title = layout switch
        {
            "ND" => $"{typeName}, N×D",
            "NCHW" => $"{typeName}, N×C×H×W in NCHW order",
            _ => $"{typeName}, N×C×H×W in NHWC order (the N×D kernels on N·H·W rows)",
        };
        // OxyPlot's SVG exporter sizes text with Helvetica metrics: a font with those metrics (Arial) keeps labels inside.
        var model = new PlotModel
        {
            Title = title, TitleFontSize = 15, Background = OxyColors.White, DefaultFont = "Arial", IsLegendVisible = false,
            PlotMargins = new OxyThickness(90, 10, 24, double.NaN), PlotAreaBorderThickness = new OxyThickness(0),
        };
        var legend = new List<Entry>();
        var panelShapes = shapes.Where(s => rows.Any(r => r.Shape == s)).ToList();
        var categories = new CategoryAxis { Position = AxisPosition.Bottom, Title = layout == "ND" ? "shape N×D" : "shape N×C×H×W", FontSize = 12, AxislineStyle = LineStyle.Solid };
        foreach (var s in panelShapes) categories.Labels.Add(s.Replace("x", "×", StringComparison.Ordinal));
        if (panelShapes.Count == 0) categories.Labels.Add("(not measured)");
        model.Axes.Add(categories);
        double top = Math.Max(120, rows.Select(Percent).DefaultIfEmpty(0).Max() * 1.08);
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Left, Title = "% of streaming roofline", Minimum = 0, Maximum = top, MajorStep = 20,
            MajorGridlineStyle = LineStyle.Dot, MajorGridlineColor = OxyColor.FromRgb(220, 220, 220), FontSize = 12, AxislineStyle = LineStyle.Solid, AxisTitleDistance = 14,
        });
        model.Annotations.Add(new LineAnnotation
        {
            Type = LineAnnotationType.Horizontal, Y = 100, Color = OxyColors.Black, LineStyle = LineStyle.Dash, StrokeThickness = 1.5,
            Text = "streaming roofline (bandwidth yardstick) = 100%", TextHorizontalAlignment = HorizontalAlignment.Right, FontSize = 11,
        });
        model.Annotations.Add(new LineAnnotation
        {
            Type = LineAnnotationType.Horizontal, Y = 80, Color = OxyColors.DimGray, LineStyle = LineStyle.Dot, StrokeThickness = 1.2,
            Text = "80% target", TextHorizontalAlignment = HorizontalAlignment.Right, FontSize = 11,
        });
        // Correct implementations first (fastest first in the legend), flawed ones after, grey.
        var groups = rows.GroupBy(r => r.Id)
            .OrderBy(g => g.Any(r => r.Verdict == "FLAWED"))
            .ThenByDescending(g => g.Max(Percent))
            .ToList();
        foreach (var group in groups)
        {
            bool flawed = group.Any(r => r.Verdict == "FLAWED");
            bool peer = group.First().Peer;
            var series = new LineSeries
            {
                Title = flawed ? $"FLAWED {group.Key}" : group.Key + (peer ? " (peer)" : "") + (group.First().MultiCore ? " (all cores)" : ""),
                MarkerType = flawed ? MarkerType.Cross : peer ? MarkerType.Diamond : MarkerType.Circle,
                MarkerSize = flawed ? 4 : peer ? 5 : 3.5,
                MarkerStroke = flawed ? OxyColors.Gray : OxyColors.Automatic,
                LineStyle = flawed ? LineStyle.DashDot : group.First().MultiCore ? LineStyle.Dash : LineStyle.Solid,
                Color = flawed ? OxyColors.Gray : peer ? OxyColors.Black : colours.GetValueOrDefault(group.Key, OxyColors.Black),
                StrokeThickness = flawed ? 1.2 : 2,
            };
            for (int i = 0; i < panelShapes.Count; i++)
                if (group.FirstOrDefault(r => r.Shape == panelShapes[i]) is { } row)
                    series.Points.Add(new DataPoint(i, Percent(row)));
            model.Series.Add(series);
            legend.Add(new Entry(series.Title, series.Color, flawed, !flawed && group.First().MultiCore));
        }
        return (model, legend);
    }

    private static string Hex(OxyColor c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";

    /// <summary>One panel exported by OxyPlot, nested as an &lt;svg&gt; element at (x, y) of the composite.</summary>
    private static string Embed(PlotModel model, int x, int y)
    {
        using var stream = new MemoryStream();
        new SvgExporter { Width = PanelWidth, Height = PlotHeight, UseVerticalTextAlignmentWorkaround = true }.Export(model, stream);
        string svg = Encoding.UTF8.GetString(stream.ToArray());
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException("OxyPlot's SVG export holds no <svg> element");
        return "<svg x=\"" + x.ToString(CultureInfo.InvariantCulture) + "\" y=\"" + y.ToString(CultureInfo.InvariantCulture) + "\" " + svg[(start + 5)..].TrimEnd() + "\n";
    }
}
