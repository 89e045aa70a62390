using BnVerify.Bench;
using Xunit;

namespace BnVerify.Verify.Support;

/// <summary>xunit member data: the ids of discovered implementations, so a new implementation is tested with no edit here.</summary>
public static class Ids
{
    /// <summary>Every implementation declared correct.</summary>
    public static TheoryData<string> Correct => Data(i => i.Info.Declared == Verdict.Correct);

    /// <summary>Every implementation declared flawed (documented versions and mutants).</summary>
    public static TheoryData<string> Flawed => Data(i => i.Info.Declared == Verdict.Flawed);

    /// <summary>Every implementation.</summary>
    public static TheoryData<string> All => Data(_ => true);

    /// <summary>
    /// Mutants whose planted flaw is confined to edge or boundary shapes or to special values (N = 1, N past a block of
    /// 64, D past 8 or 32, gamma = 0): PyTorch's 17 golden cases have no such shape or value, so they pass them; the
    /// scheduled shapes of <see cref="Checking.ProblemSource"/> catch them instead (BackwardPropertyTests, MutantTests).
    /// </summary>
    public static IReadOnlySet<string> BeyondGolden { get; } = BuiltIn.Implementations.All
        .Where(i => i is Doctor.IPlantedFlaw { Planted: Doctor.FindingKind.Localized or Doctor.FindingKind.NonFinite })
        .Select(i => i.Info.Id).ToHashSet();

    /// <summary>Every implementation declared flawed whose flaw can show on the golden cases.</summary>
    public static TheoryData<string> FlawedWithinGolden => Data(i => i.Info.Declared == Verdict.Flawed && !BeyondGolden.Contains(i.Info.Id));

    /// <summary>"--impl a,b,…": every implementation but <see cref="BeyondGolden"/>, for <c>cases</c> runs on the golden folder.</summary>
    public static string[] GoldenImplArgs => ["--impl", string.Join(",", BuiltIn.Implementations.All.Select(i => i.Info.Id).Where(id => !BeyondGolden.Contains(id)))];

    private static TheoryData<string> Data(Func<IBatchNormBackward, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var impl in BuiltIn.Implementations.All.Where(keep)) data.Add(impl.Info.Id);
        return data;
    }
}
