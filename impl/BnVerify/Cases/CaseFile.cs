using System.Text.Json;

namespace BnVerify.Cases;

/// <summary>A case file could not be read: names the file, the element (a JSON path) where there is one, and the problem.</summary>
public sealed class CaseFormatException(string file, string? element, string problem)
    : Exception(element is null ? $"{file}: {problem}" : $"{file}: {element}: {problem}")
{
    /// <summary>The file.</summary>
    public string File { get; } = file;

    /// <summary>The JSON path of the offending element, e.g. <c>x[3][1]</c>; null when the file as a whole is wrong.</summary>
    public string? Element { get; } = element;

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}

/// <summary>
/// One <c>bnverify-case/1</c> file (format in <c>golden/FORMAT.md</c>): a named problem and, optionally, the expected
/// gradients and output. <see cref="Load"/> refuses anything malformed with a <see cref="CaseFormatException"/>.
/// A file with <c>"layout": "NCHW"</c> (or <c>"NHWC"</c>) holds a spatial problem: x, dout, expected.dx and expected.out
/// are N×C×H×W (or N×H×W×C) nested lists, gamma and beta length C; they are read into the canonical view
/// (<see cref="BatchNormProblem"/>), so <see cref="Expected"/> and <see cref="ExpectedOut"/> are canonical too.
/// A file without <c>layout</c> is 2-D; any other layout is refused, as is any key the format does not have (<see cref="Keys"/>),
/// so a misspelt key is an error, never silently ignored.
/// </summary>
public sealed record CaseFile(string Path, string Name, string Source, BatchNormProblem Problem, Gradients? Expected, double[]? ExpectedOut)
{
    /// <summary>The format tag every case file carries.</summary>
    public const string Format = "bnverify-case/1";

    /// <summary>Reads and validates a case file.</summary>
    public static CaseFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CaseFormatException(path, null, $"cannot be read: {e.Message}");
        }
        return FromJson(text, path);
    }

    /// <summary>Reads and validates case-file JSON; <paramref name="origin"/> names it in errors and becomes <see cref="Path"/>.</summary>
    public static CaseFile FromJson(string text, string origin)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(origin);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            // The parser's own message ends "LineNumber: 0 | BytePositionInLine: 12."; said here in a person's words, counted from 1.
            string what = e.Message;
            int cut = what.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) what = what[..cut];
            string at = e.LineNumber is { } line ? $" (line {line + 1}{(e.BytePositionInLine is { } b ? $", character {b + 1}" : "")})" : "";
            throw new CaseFormatException(origin, null, $"is not JSON{at}: {what.TrimEnd()}");
        }
        using (doc)
        {
            return Parse(origin, doc.RootElement);
        }
    }

    /// <summary>Every <c>*.json</c> file in a folder (sorted by name), or the single file named; a folder with none is an error.</summary>
    public static IReadOnlyList<string> Expand(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new CaseFormatException(path, null, "folder holds no *.json case files");
            return files;
        }
        if (File.Exists(path)) return [path];
        throw new CaseFormatException(path, null, "no such file or folder");
    }

    private static CaseFile Parse(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new CaseFormatException(path, null, "top level must be a JSON object");
        string format = String(path, root, "format");
        if (format != Format) throw new CaseFormatException(path, "format", $"is '{format}', expected '{Format}'");
        RefuseUnknownKeys(path, root, Keys, "");
        if (root.TryGetProperty("expected", out var expectedKeys) && expectedKeys.ValueKind == JsonValueKind.Object)
            RefuseUnknownKeys(path, expectedKeys, ExpectedKeys, "expected.");
        string name = String(path, root, "name");
        string source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
        double eps = Number(path, Required(path, root, "eps"), "eps");
        if (!(eps > 0)) throw new CaseFormatException(path, "eps", $"is {eps}; must be > 0");
        if (root.TryGetProperty("layout", out var l))
        {
            if (l.ValueKind != JsonValueKind.String) throw new CaseFormatException(path, "layout", "must be a string");
            string text = l.GetString()!;
            if (text is not ("NCHW" or "NHWC"))
                throw new CaseFormatException(path, "layout", $"is '{text}'; known layouts are \"NCHW\" and \"NHWC\" (no layout: the 2-D N×D layout)");
            return ParseSpatial(path, root, name, source, eps, text == "NCHW" ? Layout.NCHW : Layout.NHWC);
        }
        var x = Matrix(path, Required(path, root, "x"), "x");
        int n = x.Length, d = x[0].Length;
        var gamma = Vector(path, Required(path, root, "gamma"), "gamma", d);
        var beta = Vector(path, Required(path, root, "beta"), "beta", d);
        var dout = Matrix(path, Required(path, root, "dout"), "dout", n, d);
        var problem = BatchNormProblem.FromRows(x, gamma, beta, eps, dout);

        Gradients? expected = null;
        double[]? expectedOut = null;
        if (root.TryGetProperty("expected", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind != JsonValueKind.Object) throw new CaseFormatException(path, "expected", "must be an object");
            var dx = Matrix(path, Required(path, e, "dx", "expected."), "expected.dx", n, d);
            var dgamma = Vector(path, Required(path, e, "dgamma", "expected."), "expected.dgamma", d);
            var dbeta = Vector(path, Required(path, e, "dbeta", "expected."), "expected.dbeta", d);
            expected = new Gradients(n, d, dx.SelectMany(r => r).ToArray(), dgamma, dbeta);
            if (e.TryGetProperty("out", out var o))
                expectedOut = Matrix(path, o, "expected.out", n, d).SelectMany(r => r).ToArray();
        }
        return new CaseFile(path, name, source, problem, expected, expectedOut);
    }

    /// <summary>A spatial case: 4-D nested x, dout (and expected dx, out) in <paramref name="layout"/>'s order, gamma and beta of length C.</summary>
    private static CaseFile ParseSpatial(string path, JsonElement root, string name, string source, double eps, Layout layout)
    {
        var (x, dims) = Tensor(path, Required(path, root, "x"), "x", null);
        var shape = layout == Layout.NCHW ? new SpatialShape(dims[0], dims[1], dims[2], dims[3]) : new SpatialShape(dims[0], dims[3], dims[1], dims[2]);
        if (shape.Count > Array.MaxLength) throw new CaseFormatException(path, "x", $"holds {shape.Count} values, too many");
        var gamma = Vector(path, Required(path, root, "gamma"), "gamma", shape.C);
        var beta = Vector(path, Required(path, root, "beta"), "beta", shape.C);
        var (dout, _) = Tensor(path, Required(path, root, "dout"), "dout", dims);
        var problem = BatchNormProblem.Spatial(shape, layout, x, gamma, beta, eps, dout);

        Gradients? expected = null;
        double[]? expectedOut = null;
        if (root.TryGetProperty("expected", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind != JsonValueKind.Object) throw new CaseFormatException(path, "expected", "must be an object");
            var (dx, _) = Tensor(path, Required(path, e, "dx", "expected."), "expected.dx", dims);
            var dgamma = Vector(path, Required(path, e, "dgamma", "expected."), "expected.dgamma", shape.C);
            var dbeta = Vector(path, Required(path, e, "dbeta", "expected."), "expected.dbeta", shape.C);
            expected = new Gradients(problem.N, problem.D, Layouts.ToCanonical<double>(dx, shape, layout), dgamma, dbeta);
            if (e.TryGetProperty("out", out var o))
                expectedOut = Layouts.ToCanonical<double>(Tensor(path, o, "expected.out", dims).Values, shape, layout);
        }
        return new CaseFile(path, name, source, problem, expected, expectedOut);
    }

    /// <summary>
    /// A 4-D nested list of numbers, flattened in its nesting order (last index fastest), with its four extents. With
    /// <paramref name="dims"/> the extents must be those (x's, for dout and the expected values); without, they are x's own
    /// and every list must match the first of its level (no ragged lists).
    /// </summary>
    private static (double[] Values, int[] Dims) Tensor(string path, JsonElement value, string where, int[]? dims)
    {
        const int Rank = 4;
        var extents = dims is null ? new int[Rank] : (int[])dims.Clone();
        var known = new bool[Rank];
        if (dims is not null) Array.Fill(known, true);
        string[] axes = ["N", "C or H", "H or W", "W or C"];
        var values = new List<double>();
        void Walk(JsonElement element, int level, string at)
        {
            if (level == Rank)
            {
                values.Add(Number(path, element, at));
                return;
            }
            if (element.ValueKind != JsonValueKind.Array)
                throw new CaseFormatException(path, at, $"must be an array (a \"layout\" case nests {Rank} levels of lists)");
            int length = element.GetArrayLength();
            if (length == 0) throw new CaseFormatException(path, at, $"is empty ({axes[level]} = 0)");
            if (!known[level])
            {
                extents[level] = length;
                known[level] = true;
            }
            else if (length != extents[level])
            {
                throw new CaseFormatException(path, at, dims is null
                    ? $"is ragged: {length} values where the first list of this level has {extents[level]}"
                    : $"has {length} values but x has {extents[level]} at this level");
            }
            int k = 0;
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, level + 1, $"{at}[{k}]");
                k++;
            }
        }
        Walk(value, 0, where);
        return (values.ToArray(), extents);
    }

    /// <summary>The keys a case file may have (golden/FORMAT.md).</summary>
    public static IReadOnlyList<string> Keys { get; } = ["format", "name", "source", "eps", "layout", "x", "gamma", "beta", "dout", "expected"];

    /// <summary>The keys of a case file's <c>expected</c> object.</summary>
    public static IReadOnlyList<string> ExpectedKeys { get; } = ["out", "dx", "dgamma", "dbeta"];

    /// <summary>A key the format does not have is refused, so a misspelt key is never silently ignored.</summary>
    private static void RefuseUnknownKeys(string path, JsonElement obj, IReadOnlyList<string> known, string prefix)
    {
        foreach (var property in obj.EnumerateObject())
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw new CaseFormatException(path, prefix + property.Name, $"unknown key; a {Format} {(prefix.Length == 0 ? "file" : $"'{prefix.TrimEnd('.')}' object")} has only {string.Join(", ", known)}");
    }

    private static JsonElement Required(string path, JsonElement obj, string key, string prefix = "")
    {
        if (!obj.TryGetProperty(key, out var value)) throw new CaseFormatException(path, prefix + key, "missing key");
        return value;
    }

    private static string String(string path, JsonElement obj, string key)
    {
        var value = Required(path, obj, key);
        if (value.ValueKind != JsonValueKind.String) throw new CaseFormatException(path, key, "must be a string");
        return value.GetString()!;
    }

    private static double Number(string path, JsonElement value, string where)
    {
        // JSON has no NaN or Infinity; a string such as "NaN" is refused as not a number, an overflow such as 1e999 as infinite.
        if (value.ValueKind != JsonValueKind.Number) throw new CaseFormatException(path, where, $"must be a number, found {value.ValueKind.ToString().ToLowerInvariant()}");
        double v = value.GetDouble();
        if (!double.IsFinite(v)) throw new CaseFormatException(path, where, $"is {value.GetRawText()}, not a finite number");
        return v;
    }

    private static double[] Vector(string path, JsonElement value, string where, int expectedLength)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new CaseFormatException(path, where, "must be an array of numbers");
        int length = value.GetArrayLength();
        if (length == 0) throw new CaseFormatException(path, where, "is empty (D = 0)");
        if (length != expectedLength) throw new CaseFormatException(path, where, $"has {length} values but x has D = {expectedLength} columns");
        var result = new double[length];
        int k = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[k] = Number(path, item, $"{where}[{k}]");
            k++;
        }
        return result;
    }

    private static double[][] Matrix(string path, JsonElement value, string where, int? rows = null, int? cols = null)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new CaseFormatException(path, where, "must be an array of rows");
        int n = value.GetArrayLength();
        if (n == 0) throw new CaseFormatException(path, where, "has no rows (N = 0)");
        if (rows is { } r && n != r) throw new CaseFormatException(path, where, $"has {n} rows but x has N = {r}");
        var result = new double[n][];
        int i = 0;
        int? width = cols;
        foreach (var row in value.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array) throw new CaseFormatException(path, $"{where}[{i}]", "must be an array of numbers");
            int length = row.GetArrayLength();
            if (length == 0) throw new CaseFormatException(path, $"{where}[{i}]", "is empty (D = 0)");
            width ??= length;
            if (length != width)
                throw new CaseFormatException(path, $"{where}[{i}]", cols is null
                    ? $"is ragged: {length} values where row 0 has {width}"
                    : $"has {length} values but x has D = {width} columns");
            result[i] = new double[length];
            int j = 0;
            foreach (var item in row.EnumerateArray())
            {
                result[i][j] = Number(path, item, $"{where}[{i}][{j}]");
                j++;
            }
            i++;
        }
        return result;
    }
}
