using System.CommandLine;

namespace BnVerify.Bench.Cli;

/// <summary><c>bnverify list</c>: every discovered implementation with its declared verdict and source.</summary>
internal static class ListCommand
{
    public static Command Create(CliContext context)
    {
        var assembly = UserAssemblies.Option();
        var command = new Command("list", "List every discovered implementation: id, declared verdict, element type, memory layout, family, source") { assembly };
        command.SetAction(parseResult => Run(context, UserAssemblies.Registry(parseResult.GetValue(assembly))));
        return command;
    }

    private static int Run(CliContext context, Registry registry)
    {
        context.Output.Table(
            [new("id"), new("declared"), new("type"), new("layout"), new("family", Fit: Fit.Drop), new("source", Fit: Fit.Wrap)],
            registry.All.Select(i => (IReadOnlyList<string>)
            [
                i.Info.Id, i.Info.DeclaredText, i.ElementType == typeof(float) ? "f32" : "f64", LayoutText(i.Layout),
                i.Info.Family.ToString().ToLowerInvariant(), i.Info.Source,
            ]));
        var flawed = registry.All.Where(i => i.Info.Declared == Verdict.Flawed).ToList();
        if (flawed.Count > 0)
        {
            context.Output.Line();
            context.Output.Line("declared flaws:");
            foreach (var impl in flawed) context.Output.Paragraph($"{impl.Info.Id}: {impl.Info.FlawReason}", "  ", "    ");
        }
        return Cli.ExitOk;
    }

    /// <summary>"nd" (rows × channels: N×D, and NHWC memory for a spatial batch), "nchw" or "nhwc".</summary>
    internal static string LayoutText(Layout layout) => Layouts.Name(layout).ToLowerInvariant();
}
