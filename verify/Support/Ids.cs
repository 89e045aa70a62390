using BnVerify.Bench;
using BnVerify.Doctor;
using Xunit;

namespace BnVerify.Verify.Support;

/// <summary>xunit member data: the ids of discovered implementations, so a new implementation is tested with no edit here.</summary>
public static class Ids
{
    /// <summary>Every implementation declared correct.</summary>
    public static TheoryData<string> Correct => Data(i => i.Info.Declared == Verdict.Correct);

    /// <summary>
    /// Every implementation declared flawed (documented versions and mutants) whose flaw shows on 2-D problems: all but the
    /// spatial ones (<see cref="ISpatialFlaw"/>), which are right when H = W = 1 and are tested on spatial problems (<see cref="SpatialFlawed"/>).
    /// </summary>
    public static TheoryData<string> Flawed => Data(i => i.Info.Declared == Verdict.Flawed && i is not ISpatialFlaw);

    /// <summary>Every implementation whose declared verdict 2-D problems can show (all but the spatial flaws).</summary>
    public static TheoryData<string> All => Data(i => i is not ISpatialFlaw);

    /// <summary>The deliberately flawed spatial implementations: wrong only where H·W &gt; 1 (or N &gt; 1).</summary>
    public static TheoryData<string> SpatialFlawed => Data(i => i is ISpatialFlaw);

    /// <summary>
    /// Mutants whose planted flaw is confined to edge or boundary shapes or to special values (N = 1, N past a block of
    /// 64, D past 8 or 32, gamma = 0): PyTorch's 17 golden cases have no such shape or value, so they pass them; the
    /// scheduled shapes of <see cref="Checking.ProblemSource"/> catch them instead (BackwardPropertyTests, MutantTests).
    /// </summary>
    public static IReadOnlySet<string> BeyondGolden { get; } = BuiltIn.Implementations.All
        .Where(i => i is Doctor.IPlantedFlaw { Planted: Doctor.FindingKind.Localized or Doctor.FindingKind.NonFinite })
        .Select(i => i.Info.Id).ToHashSet();

    /// <summary>Every implementation declared flawed whose flaw can show on the N×D golden cases (not the spatial flaws, not <see cref="BeyondGolden"/>).</summary>
    public static TheoryData<string> FlawedWithinGolden => Data(i => i.Info.Declared == Verdict.Flawed && i is not ISpatialFlaw && !BeyondGolden.Contains(i.Info.Id));

    /// <summary>
    /// The implementations <c>cases</c> runs on the N×D golden folder by default (all but the NCHW ones) less
    /// <see cref="BeyondGolden"/>, in registry order.
    /// </summary>
    public static IReadOnlyList<string> GoldenImplIds { get; } = BuiltIn.Implementations.All
        .Where(i => i.Layout != Layout.NCHW && !BeyondGolden.Contains(i.Info.Id)).Select(i => i.Info.Id).ToList();

    /// <summary>"--impl a,b,…" of <see cref="GoldenImplIds"/>, for <c>cases</c> runs on the N×D golden folder.</summary>
    public static string[] GoldenImplArgs => ["--impl", string.Join(",", GoldenImplIds)];

    private static TheoryData<string> Data(Func<IBatchNormBackward, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var impl in BuiltIn.Implementations.All.Where(keep)) data.Add(impl.Info.Id);
        return data;
    }
}
