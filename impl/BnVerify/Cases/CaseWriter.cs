using System.Globalization;
using System.Text;

namespace BnVerify.Cases;

/// <summary>
/// Writes a problem as a <c>bnverify-case/1</c> file, one row per line, with numbers in their shortest round-trip
/// form: a counterexample printed this way can be read by a person and fed back to <c>cases</c>.
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
        sb.Append($"  \"source\": {Quote(source)},\n");
        sb.Append($"  \"eps\": {Number(p.Eps)},\n");
        sb.Append($"  \"x\": {Matrix(p.X, p.D, "  ")},\n");
        sb.Append($"  \"gamma\": {Vector(p.Gamma)},\n");
        sb.Append($"  \"beta\": {Vector(p.Beta)},\n");
        sb.Append($"  \"dout\": {Matrix(p.Dout, p.D, "  ")}");
        if (expected is not null)
        {
            sb.Append(",\n  \"expected\": {\n");
            sb.Append($"    \"dx\": {Matrix(expected.Dx, p.D, "    ")},\n");
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

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
