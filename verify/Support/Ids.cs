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

    private static TheoryData<string> Data(Func<IBatchNormBackward, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var impl in BuiltIn.Implementations.All.Where(keep)) data.Add(impl.Info.Id);
        return data;
    }
}
