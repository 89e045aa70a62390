using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using BnVerify.Bench.Peers;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// The benchmark's arguments, checked before any work: each problem is one line naming the option as the user wrote it
/// (the command line turns it into exit code 2, with nothing written). The checks are pure functions of the options and of
/// what they are given about the machine (its memory, whether BnVerify is a Debug build), so tests can pass other values.
/// <list type="bullet">
/// <item><c>--shape</c>: NxD or NxCxHxW, every extent a whole number from 1 to 2147483647; the arrays of all the shapes,
/// as <see cref="BenchData{T}"/> and the peers allocate and keep them, must fit in the machine's memory, and each shape in one array.</item>
/// <item><c>--out</c>: a folder, or a folder to be created in one that exists; never a file. One rule for every command:
/// a missing parent folder is an error, only the output folder itself is created.</item>
/// <item>The build: timing needs a Release build of BnVerify, unless <see cref="BenchmarkOptions.AllowDebug"/>.</item>
/// </list>
/// </summary>
public static partial class BenchmarkChecks
{
    /// <summary>The BnVerify assemblies that run in a benchmark and were built with the JIT optimizer disabled (a Debug build); empty for a Release build.</summary>
    public static IReadOnlyList<string> DebugAssemblies { get; } =
        new[] { typeof(BenchmarkChecks).Assembly, typeof(Registry).Assembly, typeof(Implementations.AltSimplified).Assembly }
            .Where(IsDebug).Select(a => a.GetName().Name ?? "?").ToList();

    /// <summary>True when BnVerify (the program, the library or the implementations) is a Debug build (<see cref="DebugAssemblies"/>).</summary>
    public static bool IsDebugBuild => DebugAssemblies.Count > 0;

    /// <summary>The memory the machine (or the container's limit) gives this process, bytes; 0 when unknown.</summary>
    public static long MachineMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>True when <paramref name="assembly"/> was compiled with the JIT optimizer disabled (<see cref="DebuggableAttribute.IsJITOptimizerDisabled"/>, the Debug configuration).</summary>
    public static bool IsDebug(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true;
    }

    /// <summary>
    /// The first problem with <paramref name="options"/>, as one line, or null when there is none: the shapes, their memory
    /// against <paramref name="memoryBytes"/> (0: not checked), the output folder, then the build (<paramref name="debugBuild"/>
    /// refused unless <see cref="BenchmarkOptions.AllowDebug"/>). The implementation ids and variants are the command line's to check (with suggestions).
    /// </summary>
    public static string? Problem(BenchmarkOptions options, bool debugBuild, long memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var shape in options.Shapes ?? [])
            if (Shape(shape) is { } bad) return bad;
        return Memory(options, memoryBytes) ?? Output(options.OutputDirectory) ?? Build(debugBuild, options.AllowDebug);
    }

    /// <summary>
    /// The problem with one <c>--shape</c> value, or null: NxD or NxCxHxW (x, X or ×), every extent a whole number from 1
    /// to 2147483647.
    /// </summary>
    public static string? Shape(string shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var parts = shape.Split('x', 'X', '×');
        if (!parts.All(p => WholeNumber().IsMatch(p)))
            return $"--shape {shape}: is not a shape NxD or NxCxHxW of whole numbers (for example 256x64 or 32x64x56x56)";
        if (parts.Length is not (2 or 4))
            return $"--shape {shape}: has {parts.Length} extent{(parts.Length == 1 ? "" : "s")}; a shape is NxD (2) or NxCxHxW (4), for example 256x64 or 32x64x56x56";
        string[] names = parts.Length == 2 ? ["N", "D"] : ["N", "C", "H", "W"];
        for (int k = 0; k < parts.Length; k++)
        {
            bool negative = parts[k].StartsWith('-');
            string digits = parts[k].TrimStart('-').TrimStart('0');
            if (digits.Length == 0 || negative)
                return $"--shape {shape}: {names[k]} is {parts[k]}; every extent must be at least 1";
            if (digits.Length > 10 || long.Parse(digits, CultureInfo.InvariantCulture) > int.MaxValue)
                return $"--shape {shape}: {names[k]} = {digits} is too large; an extent is at most {int.MaxValue}";
        }
        return null;
    }

    /// <summary>
    /// Bytes a run of <paramref name="options"/> keeps for its data, about: per type, shape and memory order (the
    /// canonical rows × channels, and NCHW for a spatial shape when a chosen implementation computes in it),
    /// <see cref="BenchData{T}"/>'s x, xhat, dout and dx (4 arrays of sizeof(T) per value, kept for the life of the run),
    /// the peers' own x, dout and dx in float32 (a run with float32 loads oneDNN), plus the transient float64 arrays of the
    /// largest data set while it is built (x and dout, a reordered copy, and the forward output: 24 bytes + sizeof(T) per value).
    /// Shapes that are not well formed count nothing (see <see cref="Shape"/>).
    /// </summary>
    public static double BytesNeeded(BenchmarkOptions options, IReadOnlyList<string> shapes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shapes);
        double kept = 0, building = 0;
        var types = options.EffectiveTypes;
        var chosen = ChosenLayouts(options);
        foreach (var shape in shapes.Distinct())
        {
            if (Shape(shape) is not null) continue;
            var extents = shape.Split('x', 'X', '×').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToList();
            double values = extents.Aggregate(1.0, (a, v) => a * v);
            bool spatial = extents.Count == 4 && extents[2] * extents[3] > 1;
            foreach (var type in types)
            {
                int size = type == "f32" ? 4 : 8;
                int orders = spatial && chosen.Contains((type, Layout.NCHW)) ? 2 : 1;
                kept += orders * 4.0 * size * values;
                building = Math.Max(building, (24.0 + size) * values);
            }
            if (types.Contains("f32")) kept += PeerArrays(options) * 4.0 * values;
        }
        return kept + building;
    }

    /// <summary>
    /// The problem with the memory the shapes need (<see cref="BytesNeeded"/>) against <paramref name="memoryBytes"/>, the
    /// machine's (0: unknown, not checked), or with a shape too large for one array; null when they fit.
    /// </summary>
    public static string? Memory(BenchmarkOptions options, long memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        var shapes = options.EffectiveShapes.Where(s => Shape(s) is null).ToList();
        string machine = $"this machine has {Gigabytes(memoryBytes)}";
        if (memoryBytes > 0)
        {
            foreach (var shape in shapes)
            {
                double alone = BytesNeeded(options, [shape]);
                if (alone > memoryBytes) return $"--shape {shape}: needs about {Gigabytes(alone)} for its arrays ({TypesText(options)}); {machine}";
            }
            double all = BytesNeeded(options, shapes);
            if (all > memoryBytes)
                return $"--shape {string.Join(' ', shapes)}: need about {Gigabytes(all)} for their arrays together ({TypesText(options)}; a run keeps every shape's data); {machine}";
        }
        foreach (var shape in shapes)
        {
            double values = shape.Split('x', 'X', '×').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).Aggregate(1.0, (a, v) => a * v);
            if (values > Array.MaxLength)
                return string.Create(CultureInfo.InvariantCulture, $"--shape {shape}: has {values:F0} values; one array holds at most {Array.MaxLength}");
        }
        return null;
    }

    /// <summary>
    /// The problem with <c>--out</c>, or null: it must name a folder that exists, or one to be created inside a folder that
    /// exists (a missing parent folder is an error, as everywhere in bnverify), never a file, and the folder it writes in must
    /// accept a file (tried with a temporary file that is deleted at once). Null (no <c>--out</c>) is the default folder, always fine.
    /// </summary>
    public static string? Output(string? folder)
    {
        if (folder is null) return null;
        if (string.IsNullOrWhiteSpace(folder)) return "--out: no folder given (an empty value); name the folder for the report, or leave --out out";
        string full;
        try
        {
            full = Path.GetFullPath(folder);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"--out {folder}: is not a valid folder name";
        }
        if (File.Exists(full)) return $"--out {folder}: is a file; --out names the folder the report, chart and exports are written into";
        string writesIn = full;
        if (!Directory.Exists(full))
        {
            string? parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
            if (parent is null || !Directory.Exists(parent))
            {
                string shown = Path.GetDirectoryName(folder.TrimEnd('/', '\\')) is { Length: > 0 } p ? p : parent ?? folder;
                return File.Exists(parent)
                    ? $"--out {folder}: {shown} is a file, not a folder"
                    : $"--out {folder}: the folder {shown} does not exist; create it first (only the last folder of --out is created)";
            }
            writesIn = parent;
        }
        try
        {
            using var probe = new FileStream(Path.Combine(writesIn, $".bnverify-write-test-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"--out {folder}: cannot write in {(writesIn == full ? "it" : writesIn)} ({e.Message.TrimEnd('.')})";
        }
        return null;
    }

    /// <summary>The problem with the build, or null: a Debug build (<paramref name="debugBuild"/>) is refused unless <paramref name="allowDebug"/>.</summary>
    public static string? Build(bool debugBuild, bool allowDebug) =>
        debugBuild && !allowDebug
            ? $"this bnverify is a Debug build ({string.Join(", ", DebugAssemblies.DefaultIfEmpty("BnVerify"))} with JIT optimizations off), so its timings would not be those of the Release code; " +
              "run it with -c Release (dotnet run -c Release --project bench -- ...), or add --allow-debug to benchmark it anyway (the report then says Debug build)"
            : null;

    /// <summary>"25.3 GB" (10^9 bytes).</summary>
    internal static string Gigabytes(double bytes) =>
        (bytes / 1e9).ToString(bytes >= 10e9 ? "F0" : "F1", CultureInfo.InvariantCulture) + " GB";

    private static string TypesText(BenchmarkOptions options) =>
        string.Join(" and ", options.EffectiveTypes.Select(t => t == "f32" ? "float32" : "float64")) + " inputs and outputs";

    /// <summary>How many peer rows keep their own float32 arrays: oneDNN on one thread, and on several when the run has them.</summary>
    private static int PeerArrays(BenchmarkOptions options) => 3 * (options.EffectiveThreads > 1 ? 2 : 1);

    /// <summary>The (type, layout) of every implementation the options choose; unknown ids (the command line's to report) count nothing.</summary>
    private static HashSet<(string Type, Layout Layout)> ChosenLayouts(BenchmarkOptions options)
    {
        var registry = options.EffectiveImplementations;
        var ids = options.Impls is { Count: > 0 }
            ? options.Impls.Concat(options.Variants ?? []).Select(BenchTargets.BaseId)
            : registry.All.Where(i => i.Info.Family != Family.Mutant).Select(i => i.Info.Id);
        return ids.Where(id => !BenchTargets.IsYardstick(id) && !PeerSet.IsPeer(id))
            .Select(registry.Find).OfType<IBatchNormBackward>()
            .Select(i => (i.ElementType == typeof(float) ? "f32" : "f64", i.Layout)).ToHashSet();
    }

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex WholeNumber();
}
