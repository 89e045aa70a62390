using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BnVerify.External;

/// <summary>
/// The greeting an external program writes as its first line: the protocol it speaks, its name, the element type it
/// computes in and the layouts it accepts (see PROTOCOL.md).
/// </summary>
/// <param name="Protocol">The protocol tag, <c>bnverify-external/1</c>.</param>
/// <param name="Name">The name the program gave itself; its id in tables and results.</param>
/// <param name="Dtype"><c>float64</c> or <c>float32</c>.</param>
/// <param name="Layouts">The layouts it accepts; always holds <c>ND</c>.</param>
/// <param name="Source">What it is, in the program's words (optional; shown beside its name).</param>
public sealed record ExternalGreeting(string Protocol, string Name, string Dtype, IReadOnlyList<string> Layouts, string? Source)
{
    /// <summary>The element type <see cref="Dtype"/> names.</summary>
    public Type ElementType => Dtype == ExternalProtocol.Float32 ? typeof(float) : typeof(double);
}

/// <summary>A line that breaks the protocol; the message says how (the caller adds which program and which request).</summary>
internal sealed class ProtocolViolation(string message) : Exception(message);

/// <summary>
/// The <c>bnverify-external/1</c> line protocol (PROTOCOL.md), without any process: writing requests, reading the
/// greeting and answers. One JSON object per line, UTF-8, ended by <c>\n</c>. Arrays are flat and row-major; a
/// non-finite gradient value is one of the strings "NaN", "Infinity", "-Infinity".
/// </summary>
public static class ExternalProtocol
{
    /// <summary>The protocol tag of this version; the greeting must carry exactly this.</summary>
    public const string Version = "bnverify-external/1";

    /// <summary>The family of tags: a greeting starting with this but carrying another number speaks another major version.</summary>
    public const string VersionPrefix = "bnverify-external/";

    /// <summary>The 2-D layout: x and dout are N×D, row-major; gamma and beta have D values.</summary>
    public const string LayoutND = "ND";

    /// <summary>The element type name of double.</summary>
    public const string Float64 = "float64";

    /// <summary>The element type name of float.</summary>
    public const string Float32 = "float32";

    /// <summary>Longest accepted program name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The "bye" message: the program should exit (closing its input means the same).</summary>
    public static ReadOnlySpan<byte> ByeLine => "{\"type\":\"bye\"}\n"u8;

    /// <summary>The request line (with its final <c>\n</c>) asking for the gradients of <paramref name="problem"/>.</summary>
    public static byte[] Request(long id, BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var buffer = new ArrayBufferWriter<byte>(64 + 24 * (2 * problem.N * problem.D + 2 * problem.D));
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            w.WriteStartObject();
            w.WriteString("type", "backward");
            w.WriteNumber("id", id);
            w.WriteString("layout", LayoutND);
            w.WriteStartArray("shape");
            w.WriteNumberValue(problem.N);
            w.WriteNumberValue(problem.D);
            w.WriteEndArray();
            w.WriteNumber("eps", problem.Eps);
            Array(w, "x", problem.X);
            Array(w, "gamma", problem.Gamma);
            Array(w, "beta", problem.Beta);
            Array(w, "dout", problem.Dout);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Array(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (double v in values) w.WriteNumberValue(v); // a problem's values are finite (BatchNormProblem checks)
        w.WriteEndArray();
    }

    /// <summary>Reads the greeting; throws <see cref="ProtocolViolation"/> saying what is wrong with it.</summary>
    internal static ExternalGreeting ParseGreeting(ReadOnlySpan<byte> line)
    {
        using var doc = ParseObject(line, "its greeting");
        var root = doc.RootElement;
        string protocol = RequiredString(root, "protocol", "the greeting");
        if (protocol != Version)
        {
            throw new ProtocolViolation(protocol.StartsWith(VersionPrefix, StringComparison.Ordinal)
                ? $"it speaks {protocol}; this bnverify speaks {Version}"
                : $"its greeting names protocol \"{Clip(protocol)}\"; \"{Version}\" expected");
        }
        string name = RequiredString(root, "name", "the greeting");
        if (name.Length == 0 || name.Length > MaxNameLength || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ProtocolViolation($"its name \"{Clip(name)}\" is not 1..{MaxNameLength} characters without blanks or control characters");
        string dtype = RequiredString(root, "dtype", "the greeting");
        if (dtype is not (Float64 or Float32))
            throw new ProtocolViolation($"its dtype \"{Clip(dtype)}\" is neither \"{Float64}\" nor \"{Float32}\"");
        if (!root.TryGetProperty("layouts", out var layoutsElement) || layoutsElement.ValueKind != JsonValueKind.Array)
            throw new ProtocolViolation("the greeting has no \"layouts\" array");
        var layouts = new List<string>();
        foreach (var l in layoutsElement.EnumerateArray())
        {
            if (l.ValueKind != JsonValueKind.String) throw new ProtocolViolation("\"layouts\" holds something other than strings");
            layouts.Add(l.GetString()!);
        }
        if (!layouts.Contains(LayoutND))
            throw new ProtocolViolation($"its layouts [{string.Join(", ", layouts.Select(Clip))}] do not include \"{LayoutND}\", the only layout this bnverify sends");
        string? source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return new ExternalGreeting(protocol, name, dtype, layouts, source);
    }

    /// <summary>
    /// Reads the answer to request <paramref name="id"/> of shape <paramref name="n"/>×<paramref name="d"/>.
    /// Throws <see cref="ProtocolViolation"/> on a broken answer, and returns the program's own message in
    /// <paramref name="error"/> (gradients null) when it answered with an error.
    /// </summary>
    internal static Gradients? ParseAnswer(ReadOnlySpan<byte> line, long id, int n, int d, out string? error)
    {
        using var doc = ParseObject(line, "an answer");
        var root = doc.RootElement;
        error = null;
        if (!root.TryGetProperty("id", out var idElement))
            throw new ProtocolViolation($"the answer has no \"id\" (expected {id})");
        if (root.TryGetProperty("error", out var errorElement) && errorElement.ValueKind != JsonValueKind.Null)
        {
            string message = errorElement.ValueKind == JsonValueKind.String ? errorElement.GetString()! : errorElement.GetRawText();
            // An error the program could not tie to a request (id null) still answers this one: it is the only one in flight.
            if (idElement.ValueKind != JsonValueKind.Null && !(idElement.TryGetInt64(out long eid) && eid == id))
                throw new ProtocolViolation($"it answered id {Clip(idElement.GetRawText())} (an error: {Clip(message)}) to request {id}");
            error = message;
            return null;
        }
        if (!(idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out long got)))
            throw new ProtocolViolation($"the answer's id is {Clip(idElement.GetRawText())}, not a whole number (expected {id})");
        if (got != id) throw new ProtocolViolation($"it answered id {got} to request {id}");
        var dx = Values(root, "dx", n * d, $"N×D = {n}×{d}", d, matrix: true);
        var dgamma = Values(root, "dgamma", d, $"D = {d}", d, matrix: false);
        var dbeta = Values(root, "dbeta", d, $"D = {d}", d, matrix: false);
        return new Gradients(n, d, dx, dgamma, dbeta);
    }

    private static double[] Values(JsonElement root, string name, int length, string what, int d, bool matrix)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
            throw new ProtocolViolation($"the answer has no \"{name}\"");
        if (array.ValueKind != JsonValueKind.Array)
            throw new ProtocolViolation($"\"{name}\" is {Kind(array)}, not an array of {length} numbers");
        int count = array.GetArrayLength();
        if (count != length)
            throw new ProtocolViolation($"\"{name}\" has {count} values; {what} needs {length} (flat, row-major)");
        var values = new double[length];
        int k = 0;
        foreach (var e in array.EnumerateArray())
        {
            values[k] = e.ValueKind switch
            {
                JsonValueKind.Number when e.TryGetDouble(out double v) && double.IsFinite(v) => v,
                JsonValueKind.String when e.GetString() is { } s && NonFinite(s) is { } v => v,
                JsonValueKind.Number => throw new ProtocolViolation(
                    $"{Where(name, k, d, matrix)} is the number {Clip(e.GetRawText())}, which float64 cannot hold (write \"Infinity\" or \"-Infinity\")"),
                _ => throw new ProtocolViolation(
                    $"{Where(name, k, d, matrix)} is {(e.ValueKind == JsonValueKind.Null ? "null" : $"{Kind(e)} {Clip(e.GetRawText())}")}; a number (or \"NaN\", \"Infinity\", \"-Infinity\") expected"),
            };
            k++;
        }
        return values;
    }

    private static string Where(string name, int k, int d, bool matrix) => matrix ? $"{name}[{k / d}][{k % d}]" : $"{name}[{k}]";

    /// <summary>The value of "NaN", "Infinity" or "-Infinity"; null for any other string.</summary>
    internal static double? NonFinite(string s) => s switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => null,
    };

    private static JsonDocument ParseObject(ReadOnlySpan<byte> line, string what)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            string text = Printable(line);
            string hint = text.Contains("NaN", StringComparison.Ordinal) || text.Contains("Infinity", StringComparison.Ordinal)
                ? " (NaN and infinity must be written as the strings \"NaN\", \"Infinity\", \"-Infinity\")"
                : "";
            throw new ProtocolViolation($"instead of {what} it wrote a line that is not JSON{hint}: {text}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = Kind(doc.RootElement);
            doc.Dispose();
            throw new ProtocolViolation($"instead of {what} it wrote {kind}, not a JSON object: {Printable(line)}");
        }
        return doc;
    }

    private static string RequiredString(JsonElement root, string key, string where)
    {
        if (!root.TryGetProperty(key, out var e)) throw new ProtocolViolation($"{where} has no \"{key}\"");
        if (e.ValueKind != JsonValueKind.String) throw new ProtocolViolation($"\"{key}\" in {where} is {Kind(e)}, not a string");
        return e.GetString()!;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>At most 120 characters of <paramref name="s"/>, on one line.</summary>
    internal static string Clip(string s)
    {
        var oneLine = new StringBuilder(Math.Min(s.Length, 121));
        foreach (char c in s)
        {
            if (oneLine.Length >= 120)
            {
                oneLine.Append('…');
                break;
            }
            oneLine.Append(char.IsControl(c) ? ' ' : c);
        }
        return oneLine.ToString();
    }

    /// <summary>The start of a raw line as quoted, printable text.</summary>
    internal static string Printable(ReadOnlySpan<byte> line)
    {
        string text = Encoding.UTF8.GetString(line[..Math.Min(line.Length, 480)]);
        return string.Create(CultureInfo.InvariantCulture, $"\"{Clip(text)}\"");
    }
}
