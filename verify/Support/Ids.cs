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

    private static TheoryData<string> Data(Func<IBatchNormBackward, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var impl in BuiltIn.Implementations.All.Where(keep)) data.Add(impl.Info.Id);
        return data;
    }
}
