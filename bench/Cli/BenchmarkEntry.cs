using System.CommandLine;
using System.Text.RegularExpressions;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The root command's own action: the benchmark suite. PLACEHOLDER on the <c>cli</c> branch: the suite is written in
/// bench/Benchmarks/ on another branch and replaces this one file at merge. The root options are declared here so
/// that the merge touches only this file.
/// </summary>
internal static partial class BenchmarkEntry
{
    /// <summary>Declares the benchmark options on <paramref name="root"/> and makes <see cref="Run"/> its action.</summary>
    public static void Configure(Command root, CliContext context)
    {
        var quick = new Option<bool>("--quick") { Description = "Short runs: fewer iterations, for a smoke test" };
        var impl = CliOptions.Impl("Benchmark only this implementation (repeatable); default: all but the mutants");
        var type = new Option<string>("--type") { Description = "Element type to benchmark", HelpName = "f32|f64" };
        type.AcceptOnlyFromAmong("f32", "f64");
        var shape = new Option<string[]>("--shape")
        {
            Description = "Problem shape N×D, e.g. 256x64 (repeatable)",
            HelpName = "NxD",
            Arity = ArgumentArity.OneOrMore,
        };
        shape.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var m = ShapePattern().Match(token.Value);
                if (!m.Success || !int.TryParse(m.Groups[1].Value, out int n) || !int.TryParse(m.Groups[2].Value, out int d) || n < 1 || d < 1)
                {
                    result.AddError($"--shape: '{token.Value}' is not a shape NxD with N, D ≥ 1 (e.g. 256x64)");
                    return;
                }
            }
        });
        var threads = CliOptions.IntInRange("--threads", "Worker threads for the multi-core kernels", Environment.ProcessorCount, 1, 1024);
        root.Add(quick);
        root.Add(impl);
        root.Add(type);
        root.Add(shape);
        root.Add(threads);
        root.SetAction(parseResult => Run(parseResult, context));
    }

    /// <summary>Runs the benchmarks. Placeholder until the benchmark suite is merged.</summary>
    public static int Run(ParseResult parseResult, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        context.Output.Line("benchmarks: not wired yet");
        return Cli.ExitOk;
    }

    [GeneratedRegex(@"^(\d+)[xX×](\d+)$")]
    private static partial Regex ShapePattern();
}
