using System.Text.Json;
using System.Text.Json.Serialization;

namespace BnVerify.Bench.Gate;

/// <summary>What the gate measured for one implementation: its verdicts and its speed as a ratio to the reference.</summary>
/// <param name="Id">Implementation id.</param>
/// <param name="Type">Element type, "f64" or "f32".</param>
/// <param name="Declared">Declared verdict, "correct" or "flawed".</param>
/// <param name="Verdict">Found verdict, "correct" or "flawed".</param>
/// <param name="Ratio">Median of the per-round time ratios to the reference (null for implementations not timed).</param>
/// <param name="Samples">The per-round ratios the median was taken from.</param>
public sealed record GateEntry(string Id, string Type, string Declared, string Verdict, double? Ratio, double[] Samples);

/// <summary>
/// A committed gate baseline (<c>bnverify-baseline/1</c>): where and when it was measured, the reference
/// implementation and shape, and one <see cref="GateEntry"/> per implementation. The <c>ratio</c> field is
/// authoritative: the samples only give the spread (they are rescaled to that median when compared).
/// </summary>
public sealed record Baseline(
    string Format, string Created, string Machine, string Reference, int N, int D, IReadOnlyList<GateEntry> Implementations)
{
    /// <summary>The format tag.</summary>
    public const string FormatTag = "bnverify-baseline/1";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads a baseline; throws <see cref="InvalidDataException"/> naming the file and the problem when it is missing or malformed.</summary>
    public static Baseline Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such baseline file (create one with: gate --update-baseline --baseline {path})");
        Baseline? baseline;
        try
        {
            baseline = JsonSerializer.Deserialize<Baseline>(File.ReadAllText(path), Options);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a readable baseline: {e.Message}");
        }
        if (baseline is null) throw new InvalidDataException($"{path}: empty baseline");
        if (baseline.Format != FormatTag) throw new InvalidDataException($"{path}: format is '{baseline.Format}', expected '{FormatTag}'");
        if (baseline.Implementations is null || baseline.Implementations.Count == 0) throw new InvalidDataException($"{path}: implementations: missing or empty");
        if (string.IsNullOrEmpty(baseline.Reference)) throw new InvalidDataException($"{path}: reference: missing");
        foreach (var (e, i) in baseline.Implementations.Select((e, i) => (e, i)))
        {
            string where = $"{path}: implementations[{i}]";
            if (string.IsNullOrEmpty(e?.Id)) throw new InvalidDataException($"{where}.id: missing");
            if (e.Declared is not ("correct" or "flawed")) throw new InvalidDataException($"{where}.declared: must be 'correct' or 'flawed'");
            if (e.Verdict is not ("correct" or "flawed")) throw new InvalidDataException($"{where}.verdict: must be 'correct' or 'flawed'");
            if (e.Ratio is { } r && !(r > 0 && double.IsFinite(r))) throw new InvalidDataException($"{where}.ratio: must be a positive number");
            if (e.Ratio is not null && (e.Samples is null || e.Samples.Length == 0 || e.Samples.Any(s => !(s > 0 && double.IsFinite(s)))))
                throw new InvalidDataException($"{where}.samples: must be positive numbers when ratio is given");
        }
        return baseline;
    }

    /// <summary>Writes the baseline atomically: to a temporary file in the same folder, then renamed over the target.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options) + "\n");
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
