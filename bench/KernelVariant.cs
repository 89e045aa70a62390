using System.Globalization;
using BnVerify.Kernels;

namespace BnVerify.Bench;

/// <summary>
/// A fast kernel run with some of its <see cref="KernelOptions"/> changed, written <c>ID:KEY=VALUE[,KEY=VALUE...]</c>, for
/// example <c>fused-simd-nt-f64:stores=never</c> or <c>fused-simd-parallel-f32:threads=1</c>. The benchmark measures a
/// variant beside the kernel it comes from (<c>--variant</c>: what a setting is worth); the gate times a variant in place of
/// its kernel (<c>--plant</c>: a regression planted on purpose, to show the gate catches it). Keys:
/// <list type="bullet">
/// <item><c>threads=N</c>: <see cref="KernelOptions.Threads"/>.</item>
/// <item><c>stores=never|whenlarge|always</c>: <see cref="KernelOptions.Stores"/>.</item>
/// <item><c>prefetch=on|off</c>: <see cref="KernelOptions.Prefetch"/>.</item>
/// <item><c>width=512|256|128</c>: <see cref="KernelOptions.MaxVectorBits"/>.</item>
/// <item><c>nt-threshold=BYTES|max</c>: <see cref="KernelOptions.NonTemporalThresholdBytes"/>.</item>
/// <item><c>parallel-threshold=BYTES|max</c>: <see cref="KernelOptions.ParallelThresholdBytes"/>.</item>
/// <item><c>streaming-threshold=BYTES|max</c>: <see cref="KernelOptions.StreamingThresholdBytes"/>.</item>
/// </list>
/// </summary>
/// <param name="Id">The implementation it varies (a tunable fast kernel).</param>
/// <param name="Settings">The changed settings, in the order given, each a normalized <c>key=value</c>.</param>
public sealed record KernelVariant(string Id, IReadOnlyList<string> Settings)
{
    /// <summary>The canonical text, <c>ID:KEY=VALUE[,KEY=VALUE...]</c>; <see cref="Parse"/> reads it back.</summary>
    public string Name => $"{Id}:{string.Join(',', Settings)}";

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>True when <paramref name="text"/> names a variant (has a colon) rather than a plain implementation id.</summary>
    public static bool IsVariant(string text) => text is not null && text.Contains(':', StringComparison.Ordinal);

    /// <summary>
    /// Reads <c>ID:KEY=VALUE[,KEY=VALUE...]</c>; throws <see cref="FormatException"/> naming the problem (an unknown id, an
    /// implementation without kernel options, an unknown key, a value out of range).
    /// </summary>
    public static KernelVariant Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
            throw new FormatException($"'{text}' is not ID:KEY=VALUE[,KEY=VALUE...] (for example fused-simd-nt-f64:stores=never)");
        string id = text[..colon];
        if (!BuiltIn.Implementations.Exists(id)) throw new FormatException($"'{text}': unknown implementation id '{id}'");
        if (BuiltIn.Implementations.Get(id) is not ITunableBackward tunable)
            throw new FormatException($"'{text}': {id} has no kernel options to vary (only the fused-simd-* kernels do)");
        var settings = new List<string>();
        var options = tunable.Options;
        foreach (var part in text[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = Split(text, part);
            options = Apply(text, options, key, value);
            settings.Add($"{key}={value}");
        }
        if (settings.Count == 0) throw new FormatException($"'{text}': no KEY=VALUE setting after the colon");
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"'{text}': {e.ParamName}: {e.Message}");
        }
        return new KernelVariant(id, settings);
    }

    /// <summary>The kernel options of the variant: the implementation's own, with <see cref="Settings"/> applied.</summary>
    public KernelOptions Options(KernelOptions original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var options = original;
        foreach (var setting in Settings)
        {
            var (key, value) = Split(Name, setting);
            options = Apply(Name, options, key, value);
        }
        return options;
    }

    /// <summary>The implementation <see cref="Id"/> running with the variant's options (same id, same declared verdict).</summary>
    public IBatchNormBackward Create() => ApplyTo(BuiltIn.Implementations.Get(Id));

    /// <summary>
    /// <paramref name="impl"/> (an instance of <see cref="Id"/>, for example one given other threads already) with the
    /// variant's settings applied on top of its own options.
    /// </summary>
    public IBatchNormBackward ApplyTo(IBatchNormBackward impl)
    {
        ArgumentNullException.ThrowIfNull(impl);
        if (impl.Info.Id != Id || impl is not ITunableBackward tunable)
            throw new ArgumentException($"{Name} applies to {Id}, not to {impl.Info.Id}", nameof(impl));
        return tunable.With(Options(tunable.Options));
    }

    private static (string Key, string Value) Split(string text, string setting)
    {
        int eq = setting.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == setting.Length - 1) throw new FormatException($"'{text}': '{setting}' is not KEY=VALUE");
        return (setting[..eq].Trim().ToLowerInvariant(), setting[(eq + 1)..].Trim().ToLowerInvariant());
    }

    private static KernelOptions Apply(string text, KernelOptions o, string key, string value) => key switch
    {
        "threads" => o with { Threads = Int(text, key, value, 1, 1024) },
        "stores" => o with
        {
            Stores = value switch
            {
                "never" => NonTemporal.Never,
                "whenlarge" => NonTemporal.WhenLarge,
                "always" => NonTemporal.Always,
                _ => throw new FormatException($"'{text}': stores={value}: must be never, whenlarge or always"),
            },
        },
        "prefetch" => o with
        {
            Prefetch = value switch
            {
                "on" or "true" => true,
                "off" or "false" => false,
                _ => throw new FormatException($"'{text}': prefetch={value}: must be on or off"),
            },
        },
        "width" => o with { MaxVectorBits = value is "512" or "256" or "128" ? int.Parse(value, CultureInfo.InvariantCulture) : throw new FormatException($"'{text}': width={value}: must be 512, 256 or 128") },
        "nt-threshold" => o with { NonTemporalThresholdBytes = Bytes(text, key, value) },
        "parallel-threshold" => o with { ParallelThresholdBytes = Bytes(text, key, value) },
        "streaming-threshold" => o with { StreamingThresholdBytes = Bytes(text, key, value) },
        _ => throw new FormatException($"'{text}': unknown setting '{key}' (known: threads, stores, prefetch, width, nt-threshold, parallel-threshold, streaming-threshold)"),
    };

    private static int Int(string text, string key, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new FormatException($"'{text}': {key}={value}: must be a whole number {min}..{max}");

    private static long Bytes(string text, string key, string value) =>
        value == "max" ? long.MaxValue
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
        : throw new FormatException($"'{text}': {key}={value}: must be a number of bytes or max");
}
