using BnVerify;
using BnVerify.Bench.Gate;

// Skeleton: the full command line arrives with its own issue.
if (args.Length > 0 && args[0] == "gate")
{
    bool update = args.Contains("--update-baseline");
    return GateRunner.Run(new GateOptions("reports/baseline.json", UpdateBaseline: update), Console.Out, Console.Error);
}
foreach (var impl in Registry.All)
{
    Console.WriteLine($"{impl.Info.Id,-22} {impl.Info.DeclaredText,-8} {impl.Info.Source}");
}
return 0;
