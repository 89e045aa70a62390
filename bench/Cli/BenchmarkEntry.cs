using System.CommandLine;
using System.Text.RegularExpressions;
using BnVerify.Bench.Benchmarks;
using BnVerify.Bench.Peers;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The root command's own action: the BenchmarkDotNet suite (<see cref="BenchmarkSuite"/>, in bench/Benchmarks/).
/// </summary>
internal static partial class BenchmarkEntry
{
    /// <summary>Declares the benchmark options on <paramref name="root"/> and makes the suite its action.</summary>
    public static void Configure(Command root, CliContext context)
    {
        var quick = new Option<bool>("--quick") { Description = "Short runs: fewer iterations, for a smoke test" };
        var impl = CliOptions.Impl("Benchmark only this implementation (repeatable); default: all but the mutants");
        var type = new Option<string>("--type") { Description = "Element type to benchmark", HelpName = "f32|f64" };
        type.AcceptOnlyFromAmong("f32", "f64");
        var shape = new Option<string[]>("--shape")
        {
            Description = "Problem shape N×D, e.g. 256x64, or N×C×H×W, e.g. 32x64x56x56 (repeatable)",
            HelpName = "NxD|NxCxHxW",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        shape.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var m = ShapePattern().Match(token.Value);
                var extents = m.Success ? m.Groups[1].Captures.Select(c => int.TryParse(c.Value, out int v) ? v : 0).Append(int.TryParse(m.Groups[2].Value, out int last) ? last : 0).ToList() : [];
                if (!m.Success || extents.Count is not (2 or 4) || extents.Any(v => v < 1) || extents.Aggregate(1L, (a, v) => a * v) > Array.MaxLength)
                {
                    result.AddError($"--shape: '{token.Value}' is not a shape NxD or NxCxHxW with every extent ≥ 1 (e.g. 256x64 or 32x64x56x56)");
                    return;
                }
            }
        });
        var threads = CliOptions.IntInRange("--threads", "Worker threads for the multi-core kernels", Environment.ProcessorCount, 1, 1024);
        var output = new Option<string>("--out")
        {
            Description = "Folder for the report, chart and exports (default: reports/ at the repository root for the full default suite, " +
                          "reports/partial/ (ignored by git) for a quick or narrowed run, so the committed report is never overwritten by one)",
            HelpName = "DIR",
        };
        var variant = KernelVariantOption("--variant",
            "A fast kernel with changed settings, measured beside the kernel (its cost in paired rounds); e.g. fused-simd-nt-f64:stores=never " +
            "(keys: threads, stores=never|whenlarge|always, prefetch=on|off, width=512|256|128, nt-threshold, parallel-threshold); repeatable");
        var rounds = CliOptions.IntInRange("--rounds", "Rounds of the paired roofline per type and shape (default 15, with --quick 5)", 15, 2, 1000);
        var assembly = UserAssemblies.Option();
        assembly.Description = "Also verify and benchmark the implementations in this built .NET assembly (a .dll; repeatable)";
        root.Add(quick);
        root.Add(impl);
        root.Add(type);
        root.Add(shape);
        root.Add(threads);
        root.Add(output);
        root.Add(variant);
        root.Add(rounds);
        root.Add(assembly);
        root.SetAction(parseResult =>
        {
            // The user's assemblies first (a bad one is one line, exit 2, before any work), then the ids against all implementations.
            var assemblies = parseResult.GetValue(assembly);
            var registry = UserAssemblies.Registry(assemblies);
            return BenchmarkSuite.RunAsync(new BenchmarkOptions(
            Quick: parseResult.GetValue(quick),
            Impls: BenchmarkIds(parseResult.GetValue(impl), registry),
            Types: parseResult.GetValue(type) is { } t ? [t] : null,
            Shapes: parseResult.GetValue(shape)?.Select(s => s.Replace('×', 'x').Replace('X', 'x')).ToList(),
            Threads: parseResult.GetResult(threads) is { Implicit: false } ? parseResult.GetValue(threads) : null,
            OutputDirectory: parseResult.GetValue(output),
            Variants: parseResult.GetValue(variant)?.Select(v => KernelVariant.Parse(v).Name).ToList(),
            PairedRounds: parseResult.GetResult(rounds) is { Implicit: false } ? parseResult.GetValue(rounds) : null,
            Implementations: assemblies is { Length: > 0 } ? registry : null,
            Assemblies: assemblies is { Length: > 0 } ? assemblies : null)).GetAwaiter().GetResult();
        });
    }

    /// <summary>
    /// A repeatable option of kernel variants <c>ID:KEY=VALUE[,KEY=VALUE...]</c> (<see cref="KernelVariant"/>); a variant
    /// that does not parse is a parse error naming the problem (exit 2).
    /// </summary>
    internal static Option<string[]> KernelVariantOption(string name, string description)
    {
        var option = new Option<string[]>(name)
        {
            Description = description,
            HelpName = "ID:KEY=VALUE",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                try
                {
                    KernelVariant.Parse(token.Value);
                }
                catch (FormatException e)
                {
                    result.AddError($"{name}: {e.Message}");
                    return;
                }
            }
        });
        return option;
    }

    /// <summary>The ids given to <c>--impl</c>: implementations (checked against the registry, before any work) and yardsticks.</summary>
    private static List<string> BenchmarkIds(string[]? values, Registry registry)
    {
        var ids = CliOptions.SplitIds(values ?? []).ToList();
        CliOptions.Selected(registry, ids.Where(id => !BenchTargets.IsYardstick(id) && !PeerSet.IsPeer(id)).ToArray());
        return ids;
    }

    [GeneratedRegex(@"^(?:(\d+)[xX×])+(\d+)$")]
    private static partial Regex ShapePattern();
}
