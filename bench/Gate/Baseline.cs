using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace BnVerify.Bench.Gate;

/// <summary>The two regimes the gate times in.</summary>
public static class Regime
{
    /// <summary>A small problem (128×64) that sits in L1/L2: every non-mutant implementation, as a ratio to alt-simplified.</summary>
    public const string InCache = "in-cache";

    /// <summary>A problem several times the last-level cache: the fast kernels, each as a ratio to the bandwidth yardstick with its own memory pattern.</summary>
    public const string MemoryBound = "memory-bound";
}

/// <summary>Which clock a timing's ratios were formed on (see <see cref="GateMeasurement"/>).</summary>
public static class Clock
{
    /// <summary>CPU time of the calling thread: one-thread actions.</summary>
    public const string ThreadCpu = "thread-cpu";

    /// <summary>Wall-clock time: actions with a multi-core side.</summary>
    public const string Wall = "wall";
}

/// <summary>One timing of an implementation: its speed at one shape as a ratio to a reference timed in the same rounds.</summary>
/// <param name="Shape">The problem shape, "NxD".</param>
/// <param name="Regime"><see cref="Gate.Regime.InCache"/> or <see cref="Gate.Regime.MemoryBound"/>.</param>
/// <param name="Reference">What the ratio is to: alt-simplified in cache, a bandwidth yardstick when memory-bound.</param>
/// <param name="Clock"><see cref="Gate.Clock.ThreadCpu"/> or <see cref="Gate.Clock.Wall"/>.</param>
/// <param name="Ratio">Median of the per-round ratios (authoritative: a hand edit is honoured).</param>
/// <param name="Samples">The per-round ratios the median was taken from (they give the spread).</param>
/// <param name="ProcessMedians">
/// The median ratio in each independent timing process (the samples are those of the middle one); null when not recorded.
/// Informative only: they show how far one process can stray.
/// </param>
public sealed record GateTiming(string Shape, string Regime, string Reference, string Clock, double Ratio, double[] Samples, double[]? ProcessMedians = null);

/// <summary>What the gate measured for one implementation: its verdicts, and its timings (none for a flawed implementation or a mutant).</summary>
/// <param name="Id">Implementation id.</param>
/// <param name="Type">Element type, "f64" or "f32".</param>
/// <param name="Declared">Declared verdict, "correct" or "flawed".</param>
/// <param name="Verdict">Found verdict, "correct" or "flawed".</param>
/// <param name="Timings">One per shape the implementation was timed at.</param>
public sealed record GateEntry(string Id, string Type, string Declared, string Verdict, IReadOnlyList<GateTiming> Timings)
{
    /// <summary>The timing at <paramref name="shape"/>, or null.</summary>
    public GateTiming? At(string shape) => Timings.FirstOrDefault(t => t.Shape == shape);
}

/// <summary>
/// A committed gate baseline (<c>bnverify-baseline/2</c>): where and when it was measured, and one <see cref="GateEntry"/>
/// per implementation with a <see cref="GateTiming"/> per shape it was timed at (the in-cache shape, and the memory-bound
/// shape of its type for the fast kernels). The <c>ratio</c> fields are authoritative: the samples only give the spread
/// (they are rescaled to that median when compared). <see cref="Load"/> also reads the earlier <c>bnverify-baseline/1</c>
/// (one in-cache ratio per implementation), so a baseline measured by the previous version still gates.
/// </summary>
/// <param name="Format">The format tag, <see cref="FormatTag"/>.</param>
/// <param name="Created">When it was measured (UTC, ISO 8601).</param>
/// <param name="Machine">CPU, cores, OS and runtime it was measured on.</param>
/// <param name="Implementations">One entry per implementation.</param>
public sealed record Baseline(string Format, string Created, string Machine, IReadOnlyList<GateEntry> Implementations)
{
    /// <summary>The format tag written.</summary>
    public const string FormatTag = "bnverify-baseline/2";

    /// <summary>The previous format, still read.</summary>
    public const string FormatTagV1 = "bnverify-baseline/1";

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
            string text = File.ReadAllText(path);
            string? format = JsonNode.Parse(text)?["format"]?.GetValue<string>();
            if (format == FormatTagV1)
            {
                baseline = JsonSerializer.Deserialize<BaselineV1>(text, Options)?.Upgrade(path);
            }
            else
            {
                baseline = JsonSerializer.Deserialize<Baseline>(text, Options);
                if (baseline is not null && baseline.Format != FormatTag)
                    throw new InvalidDataException($"{path}: format is '{baseline.Format}', expected '{FormatTag}' (or '{FormatTagV1}')");
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a readable baseline: {e.Message}");
        }
        if (baseline is null) throw new InvalidDataException($"{path}: empty baseline");
        if (baseline.Implementations is null || baseline.Implementations.Count == 0) throw new InvalidDataException($"{path}: implementations: missing or empty");
        foreach (var (e, i) in baseline.Implementations.Select((e, i) => (e, i)))
        {
            string where = $"{path}: implementations[{i}]";
            if (string.IsNullOrEmpty(e?.Id)) throw new InvalidDataException($"{where}.id: missing");
            if (e.Declared is not ("correct" or "flawed")) throw new InvalidDataException($"{where}.declared: must be 'correct' or 'flawed'");
            if (e.Verdict is not ("correct" or "flawed")) throw new InvalidDataException($"{where}.verdict: must be 'correct' or 'flawed'");
            if (e.Timings is null) throw new InvalidDataException($"{where}.timings: missing (use [] for none)");
            foreach (var (t, k) in e.Timings.Select((t, k) => (t, k)))
            {
                string at = $"{where}.timings[{k}]";
                if (t is null || string.IsNullOrEmpty(t.Shape)) throw new InvalidDataException($"{at}.shape: missing");
                if (t.Regime is not (Regime.InCache or Regime.MemoryBound)) throw new InvalidDataException($"{at}.regime: must be '{Regime.InCache}' or '{Regime.MemoryBound}'");
                if (string.IsNullOrEmpty(t.Reference)) throw new InvalidDataException($"{at}.reference: missing");
                if (!(t.Ratio > 0 && double.IsFinite(t.Ratio))) throw new InvalidDataException($"{at}.ratio: must be a positive number");
                if (t.Samples is null || t.Samples.Length == 0 || t.Samples.Any(s => !(s > 0 && double.IsFinite(s))))
                    throw new InvalidDataException($"{at}.samples: must be positive numbers");
            }
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

    /// <summary>The <c>bnverify-baseline/1</c> layout: one shape and reference for the file, one ratio per implementation.</summary>
    private sealed record BaselineV1(string Format, string Created, string Machine, string Reference, int N, int D, IReadOnlyList<EntryV1> Implementations)
    {
        public Baseline Upgrade(string path)
        {
            if (string.IsNullOrEmpty(Reference)) throw new InvalidDataException($"{path}: reference: missing");
            if (Implementations is null) throw new InvalidDataException($"{path}: implementations: missing or empty");
            string shape = $"{N}x{D}";
            return new Baseline(FormatTag, Created, Machine, Implementations.Select(e => new GateEntry(e.Id, e.Type, e.Declared, e.Verdict,
                e.Ratio is { } r ? [new GateTiming(shape, Regime.InCache, Reference, Clock.Wall, r, e.Samples ?? [])] : [])).ToList());
        }
    }

    private sealed record EntryV1(string Id, string Type, string Declared, string Verdict, double? Ratio, double[]? Samples);
}
