using BnVerify;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Bench.Benchmarks;

// No arguments, or benchmark options only: the BenchmarkDotNet suite (see bench/Benchmarks/BenchmarkSuite.cs).
if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    try
    {
        return await BenchmarkSuite.RunAsync(BenchmarkOptions.Parse(args));
    }
    catch (FormatException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }
}

// Skeleton: the commands arrive in their own issues.
foreach (var impl in Registry.All)
{
    Console.WriteLine($"{impl.Info.Id,-22} {impl.Info.DeclaredText,-8} {impl.Info.Source}");
}
if (args.Length > 0)
{
    foreach (var file in CaseFile.Expand(args[0]))
    {
        var c = CaseFile.Load(file);
        foreach (var impl in Registry.All)
        {
            var golden = GradientChecker.CheckAgainst(impl, c.Problem, c.Expected!, "golden");
            var fd = GradientChecker.Check(impl, c.Problem);
            Console.WriteLine($"{c.Name,-28} {impl.Info.Id,-20} golden={golden.Pass} dx={golden.MaxError(GradientName.Dx):G3} fd={fd.Pass} fdErr={fd.MaxError(GradientName.Dx):G3} {(fd.Pass ? "" : fd.Summary())}");
        }
    }
}
return 0;
