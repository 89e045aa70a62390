using System.Globalization;
using System.Text;

namespace BnVerify.Cases;

/// <summary>
/// Writes a problem as a <c>bnverify-case/1</c> file, one row per line, with numbers in their shortest round-trip
/// form: a counterexample printed this way can be read by a person and fed back to <c>cases</c>.
/// A spatial problem is written in its own layout (<c>"layout": "NCHW"</c> or <c>"NHWC"</c>) as 4-D nested lists, one
/// plane (NCHW: H rows of W values) or one image row (NHWC: W pixels of C values) per line.
/// </summary>
public static class CaseWriter
{
    /// <summary>The problem as case-file JSON; <paramref name="expected"/> is written under <c>expected</c> when given.</summary>
    public static string ToJson(string name, string source, BatchNormProblem p, Gradients? expected = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(p);
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append($"  \"format\": \"{CaseFile.Format}\",\n");
        sb.Append($"  \"name\": {Quote(name)},\n");
        if (p.IsSpatial) sb.Append($"  \"layout\": \"{Layouts.Name(p.Layout)}\",\n");
        sb.Append($"  \"source\": {Quote(source)},\n");
        sb.Append($"  \"eps\": {Number(p.Eps)},\n");
        sb.Append($"  \"x\": {Batch(p, p.X, "  ")},\n");
        sb.Append($"  \"gamma\": {Vector(p.Gamma)},\n");
        sb.Append($"  \"beta\": {Vector(p.Beta)},\n");
        sb.Append($"  \"dout\": {Batch(p, p.Dout, "  ")}");
        if (expected is not null)
        {
            sb.Append(",\n  \"expected\": {\n");
            sb.Append($"    \"dx\": {Batch(p, expected.Dx, "    ")},\n");
            sb.Append($"    \"dgamma\": {Vector(expected.Dgamma)},\n");
            sb.Append($"    \"dbeta\": {Vector(expected.Dbeta)}\n  }}");
        }
        sb.Append("\n}\n");
        return sb.ToString();
    }

    /// <summary>A float64 in its shortest round-trip form (JSON-valid: no NaN or infinity reaches here).</summary>
    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A vector as a JSON array on one line.</summary>
    public static string Vector(ReadOnlySpan<double> values)
    {
        var parts = new string[values.Length];
        for (int k = 0; k < values.Length; k++) parts[k] = Number(values[k]);
        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>A row-major matrix as a JSON array of rows, one row per line.</summary>
    public static string Matrix(ReadOnlySpan<double> values, int d, string indent)
    {
        int n = values.Length / d;
        var rows = new string[n];
        for (int i = 0; i < n; i++) rows[i] = Vector(values.Slice(i * d, d));
        return "[\n" + indent + "  " + string.Join(",\n" + indent + "  ", rows) + "\n" + indent + "]";
    }

    /// <summary>
    /// A batch of <paramref name="p"/>'s shape given in the canonical view: as rows (2-D), or in the problem's layout as
    /// N lists of the next level, each inner 2-D block (a plane, or an image row of pixels) on one line.
    /// </summary>
    public static string Batch(BatchNormProblem p, ReadOnlySpan<double> canonical, string indent)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.IsSpatial) return Matrix(canonical, p.D, indent);
        var s = p.Shape;
        var values = Layouts.FromCanonical(canonical, s, p.Layout);
        // Extents after N: NCHW (C, H, W), NHWC (H, W, C); one line per block of the last two.
        var (outer, rows, cols) = p.Layout == Layout.NCHW ? (s.C, s.H, s.W) : (s.H, s.W, s.C);
        var images = new string[s.N];
        for (int n = 0; n < s.N; n++)
        {
            var blocks = new string[outer];
            for (int o = 0; o < outer; o++)
            {
                var block = values.AsSpan(((n * outer) + o) * rows * cols, rows * cols);
                var lines = new string[rows];
                for (int r = 0; r < rows; r++) lines[r] = Vector(block.Slice(r * cols, cols));
                blocks[o] = "[" + string.Join(", ", lines) + "]";
            }
            images[n] = "[\n" + indent + "    " + string.Join(",\n" + indent + "    ", blocks) + "\n" + indent + "  ]";
        }
        return "[\n" + indent + "  " + string.Join(",\n" + indent + "  ", images) + "\n" + indent + "]";
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
