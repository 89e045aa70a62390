using BnVerify.Verification;
using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The checker's power (issue 6): every mutant of the correct closed form is killed (mutation score 100%), the
/// doctor names each planted flaw, and no correct implementation raises a false alarm over 10,000 random cases.
/// </summary>
public sealed class MutantTests(ITestOutputHelper output)
{
    // Each test computes what it asserts: no report is cached between tests. A mutation-testing run of the doctor
    // (verify/mutation/run-stryker.sh doctor) switches the active mutant between runs in a reused test host and runs
    // only each mutant's covering tests, timed against what they took before; a report cached in a static would
    // answer for a mutant it was not computed under (as ShapeSchedule.Default did, README "Mutation testing of the
    // checker"), and be charged to whichever test happened to compute it.
    private static IEnumerable<IBatchNormBackward> Mutants => BuiltIn.Implementations.All.Where(i => i.Info.Family == Family.Mutant);

    /// <summary>Mutant ids, for the per-mutant theory.</summary>
    public static TheoryData<string> MutantIds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var m in Mutants) data.Add(m.Info.Id);
            return data;
        }
    }

    [Fact]
    public void Catalog_has_at_least_12_mutants_each_declared_flawed_with_a_planted_flaw()
    {
        var mutants = Mutants.ToList();
        Assert.True(mutants.Count >= 12, $"only {mutants.Count} mutants");
        Assert.All(mutants, m =>
        {
            Assert.StartsWith("mutant-", m.Info.Id);
            Assert.Equal(Verdict.Flawed, m.Info.Declared);
            Assert.False(string.IsNullOrWhiteSpace(m.Info.FlawReason));
            Assert.IsAssignableFrom<IPlantedFlaw>(m);
        });
    }

    [Fact]
    public void Mutation_score_is_100_percent()
    {
        var report = MutationScore.Compute(Mutants);
        output.WriteLine(report.Table());
        Assert.All(report.Mutants, m => Assert.True(m.Killed, $"{m.Id} survived {report.Problems} problems"));
        Assert.Equal(1.0, report.Score);
        Assert.Equal(report.Mutants.Count, report.Named);
    }

    [Theory]
    [MemberData(nameof(MutantIds))]
    public void Diagnosis_names_the_planted_flaw(string id)
    {
        var m = MutationScore.Compute([BuiltIn.Implementations.Get(id)]).Mutants.Single();
        output.WriteLine($"{id}: planted {m.PlantedIn}:{m.Planted}; diagnosis {m.Diagnosis.KindsText()}");
        output.WriteLine(m.Diagnosis.Summary());
        output.WriteLine($"killed by {m.KilledBy}");
        Assert.True(m.Killed, $"{id} survived");
        Assert.True(m.Named, $"{id}: planted {m.PlantedIn}:{m.Planted} but the diagnosis says {m.Diagnosis.KindsText()}: {m.Diagnosis.Summary()}");
        // Only the planted gradient is blamed, except where the flaw reaches another one by construction
        var blamed = m.Diagnosis.Gradients.Where(g => !g.Clean).Select(g => g.Gradient).ToList();
        Assert.Contains(m.PlantedIn!.Value, blamed);
        // (a recomputed xhat carries a wrong invStd, a NaN or a float32 sum into dgamma as well; a float32 accumulator
        // reaches all three).
        if (m.Planted is not (FindingKind.UnbiasedVariance or FindingKind.VarianceCancellation or FindingKind.NonFinite or FindingKind.Precision)) Assert.Single(blamed);
    }

    [Fact]
    public void Float32_variance_mutant_is_far_off_at_large_offsets()
    {
        // Right in exact arithmetic, wrong at large offsets: its error grows with the offset far past the float64 allowance.
        var impl = BuiltIn.Implementations.Get("mutant-variance-float32");
        var near = DoctorProblems.Make(DerivationDoctor.DefaultSeed, 0); // offsets within ±3 spreads
        var far = DoctorProblems.Make(DerivationDoctor.DefaultSeed, 2);  // offsets of 150..300 spreads
        double nearError = GradientChecker.Check(impl, near).MaxError(GradientName.Dx);
        double farError = GradientChecker.Check(impl, far).MaxError(GradientName.Dx);
        output.WriteLine($"dx error: {nearError:G3} near the origin, {farError:G3} at large offsets (natural units)");
        Assert.False(GradientChecker.Check(impl, far).Pass);
        Assert.True(farError > 1e-4 && farError > 100 * nearError);
    }

    // The no-false-alarm test over 10,000 random cases for every correct implementation is NoFalseAlarmTests (main).
}
