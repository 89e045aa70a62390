using System.CommandLine;
using BnVerify.Bench.Benchmarks;
using BnVerify.Bench.Peers;
using BnVerify.Kernels;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The root command's own action: the BenchmarkDotNet suite (<see cref="BenchmarkSuite"/>, in bench/Benchmarks/).
/// </summary>
internal static class BenchmarkEntry
{
    /// <summary>Declares the benchmark options on <paramref name="root"/> and makes the suite its action.</summary>
    public static void Configure(Command root, CliContext context)
    {
        var quick = new Option<bool>("--quick") { Description = "Short runs: three shapes, fewer iterations" };
        var dry = new Option<bool>("--dry")
        {
            Description = "Call every benchmark once, cold, to check that the run works (ids, assemblies, shapes, report) in seconds; " +
                          "its times are not measurements, and the report says so",
        };
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
            // The form of each shape here; whether its arrays fit in memory once the types and implementations are known (BenchmarkChecks.Memory).
            foreach (var token in result.Tokens)
            {
                if (BenchmarkChecks.Shape(token.Value) is { } problem)
                {
                    result.AddError(problem);
                    return;
                }
            }
        });
        var threads = CliOptions.IntInRange("--threads", "Worker threads for the multi-core kernels", Environment.ProcessorCount, 1, 1024);
        var output = new Option<string>("--out")
        {
            Description = "Folder for the report, chart and exports (default: reports/ at the repository root for the full default suite, " +
                          "reports/partial/ (ignored by git) for a quick or narrowed run, so the committed report is never overwritten by one). " +
                          "The folder is created if its parent exists; a missing parent folder, or a file, is an error",
            HelpName = "DIR",
        };
        var variant = KernelVariantOption("--variant",
            "A fast kernel with changed settings, measured beside the kernel (its cost in paired rounds); e.g. fused-simd-nt-f64:stores=never " +
            "(keys: threads, stores=never|whenlarge|always, prefetch=on|off, width=512|256|128, nt-threshold, parallel-threshold, streaming-threshold); repeatable");
        var rounds = CliOptions.IntInRange("--rounds", "Rounds of the paired roofline per type and shape (default 15, with --quick 5, with --dry 2)", 15, 2, 1000);
        var assembly = UserAssemblies.Option();
        assembly.Description = "Also verify and benchmark the implementations in this built .NET assembly (a .dll; repeatable)";
        var allowDebug = new Option<bool>("--allow-debug")
        {
            Description = "Benchmark even when bnverify is a Debug build (refused otherwise: its timings are not those of the Release code); the report then says Debug build",
        };
        root.Add(quick);
        root.Add(dry);
        root.Add(impl);
        root.Add(type);
        root.Add(shape);
        root.Add(threads);
        root.Add(output);
        root.Add(variant);
        root.Add(rounds);
        root.Add(assembly);
        root.Add(allowDebug);
        root.SetAction(parseResult =>
        {
            // Every argument is checked before any work (one line, exit 2, nothing written): the assemblies, the ids, then
            // the shapes' memory, the output folder and the build (BenchmarkChecks).
            var assemblies = parseResult.GetValue(assembly);
            var registry = UserAssemblies.Registry(assemblies);
            var options = new BenchmarkOptions(
                Quick: parseResult.GetValue(quick),
                Impls: parseResult.GetResult(impl) is null ? null : BenchmarkIds(parseResult.GetValue(impl) ?? [], registry),
                Types: parseResult.GetValue(type) is { } t ? [t] : null,
                Shapes: parseResult.GetValue(shape)?.Select(s => s.Replace('×', 'x').Replace('X', 'x')).ToList(),
                Threads: parseResult.GetResult(threads) is { Implicit: false } ? parseResult.GetValue(threads) : null,
                OutputDirectory: parseResult.GetValue(output),
                Variants: parseResult.GetValue(variant)?.Select(v => KernelVariant.Parse(v).Name).ToList(),
                PairedRounds: parseResult.GetResult(rounds) is { Implicit: false } ? parseResult.GetValue(rounds) : null,
                Implementations: assemblies is { Length: > 0 } ? registry : null,
                Assemblies: assemblies is { Length: > 0 } ? assemblies : null,
                AllowDebug: parseResult.GetValue(allowDebug),
                Dry: parseResult.GetValue(dry));
            if (BenchmarkChecks.Problem(options, BenchmarkChecks.IsDebugBuild, BenchmarkChecks.MachineMemoryBytes) is { } problem)
                throw new BadInputException(problem);
            return BenchmarkSuite.RunAsync(options).GetAwaiter().GetResult();
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
                int colon = token.Value.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && token.Value[..colon] is var id && !BuiltIn.Implementations.Exists(id))
                {
                    var tunable = BuiltIn.Implementations.All.Where(i => i is ITunableBackward).Select(i => i.Info.Id).ToList();
                    result.AddError($"{name}: '{token.Value}': unknown implementation id '{id}'{CliOptions.DidYouMean(id, tunable)} (the kernels with settings: {string.Join(", ", tunable)})");
                    return;
                }
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

    /// <summary>
    /// The ids given to <c>--impl</c>, each checked before any work: an implementation of <paramref name="registry"/> (the
    /// built-in ones and those of <c>--assembly</c>), a bandwidth yardstick or a peer; an unknown one is bad input with the
    /// nearest known id, an empty value too.
    /// </summary>
    private static List<string> BenchmarkIds(string[] values, Registry registry)
    {
        var ids = CliOptions.SplitIds(values).ToList();
        if (ids.Count == 0)
            throw new BadInputException("--impl: no implementation id given (an empty value); name one, or leave --impl out to benchmark all but the mutants");
        var yardsticks = new[] { "f64", "f32" }.SelectMany(BenchTargets.Yardsticks).ToList();
        var known = registry.All.Select(i => i.Info.Id).Concat(yardsticks).Concat(PeerSet.AllIds).ToList();
        foreach (var id in ids)
        {
            if (known.Contains(id, StringComparer.Ordinal)) continue;
            if (KernelVariant.IsVariant(id))
                throw new BadInputException($"--impl: '{id}' is a kernel variant, not an implementation id; give it to --variant");
            throw new BadInputException($"--impl: unknown implementation id '{id}'{CliOptions.DidYouMean(id, known)} " +
                                        $"(bnverify list shows the implementations; the benchmark also times the yardsticks {string.Join(", ", yardsticks)} and the peers {string.Join(", ", PeerSet.AllIds)})");
        }
        return ids;
    }
}
