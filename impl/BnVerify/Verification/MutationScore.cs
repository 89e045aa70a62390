using System.Globalization;
using System.Text;
using BnVerify.Checking;
using BnVerify.Doctor;

namespace BnVerify.Verification;

/// <summary>What happened to one mutant: killed or not (and by what), and whether the diagnosis named the planted flaw.</summary>
/// <param name="Id">The mutant's id.</param>
/// <param name="Killed">True when <see cref="GradientChecker.Check"/> failed on at least one problem of the set.</param>
/// <param name="KilledBy">"problem 3: dx fails (...)" for the first failing check, or "survived".</param>
/// <param name="PlantedIn">The gradient the flaw was planted in (from <see cref="IPlantedFlaw"/>; null when the mutant declares none).</param>
/// <param name="Planted">The planted finding (null when the mutant declares none).</param>
/// <param name="TermLevel">True when the planted flaw is a term-level one (a wrong term, factor or sum), as opposed to a precision flaw.</param>
/// <param name="Named">True when the diagnosis names the planted finding for the planted gradient.</param>
/// <param name="Diagnosis">The doctor's diagnosis, computed without reading the planted flaw.</param>
public sealed record MutantResult(string Id, bool Killed, string KilledBy, GradientName? PlantedIn, FindingKind? Planted, bool TermLevel, bool Named, Diagnosis Diagnosis);

/// <summary>The mutation score of the checker over a set of mutants, and how often the diagnosis named the planted flaw.</summary>
/// <param name="Mutants">One result per mutant.</param>
/// <param name="Seed">Seed of the problem set.</param>
/// <param name="Problems">How many problems each mutant was checked on.</param>
public sealed record MutationReport(IReadOnlyList<MutantResult> Mutants, int Seed, int Problems)
{
    /// <summary>Mutants killed by the checker.</summary>
    public int Killed => Mutants.Count(m => m.Killed);

    /// <summary>Killed / total (1 when there are no mutants).</summary>
    public double Score => Mutants.Count == 0 ? 1 : (double)Killed / Mutants.Count;

    /// <summary>Mutants whose diagnosis names the planted flaw.</summary>
    public int Named => Mutants.Count(m => m.Named);

    /// <summary>"mutation score 17/17 = 100%; diagnosis names the planted flaw for 17/17".</summary>
    public string Headline => string.Create(CultureInfo.InvariantCulture,
        $"mutation score {Killed}/{Mutants.Count} = {Score * 100:0.#}% (checker, {Problems} problems, seed {Seed}); diagnosis names the planted flaw for {Named}/{Mutants.Count}");

    /// <summary>A plain-text table: one line per mutant, then its diagnosis, then the headline.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        foreach (var m in Mutants)
        {
            string planted = m.Planted is null ? "(none declared)" : $"{Gradients.NameOf(m.PlantedIn!.Value)}:{m.Planted}";
            sb.AppendLine(CultureInfo.InvariantCulture, $"{m.Id,-28} {(m.Killed ? "killed " : "SURVIVED")} planted {planted,-36} diagnosis {m.Diagnosis.KindsText()} {(m.Named ? "(names it)" : "(DOES NOT name it)")}");
            foreach (var line in m.Diagnosis.Summary().Split(Environment.NewLine)) sb.AppendLine("    " + line);
        }
        sb.AppendLine(Headline);
        return sb.ToString();
    }
}

/// <summary>
/// Measures the checker's power: every mutant (<see cref="Family.Mutant"/>) is checked by the <see cref="Verifier"/> on a
/// fixed-seed problem set (<see cref="ProblemSource.Default"/>: the scheduled edge and boundary shapes, then random ones)
/// and counts as killed when any check fails; then the doctor diagnoses it, given the first problem that killed it, and
/// the diagnosis is compared with the flaw the mutant declares through <see cref="IPlantedFlaw"/> (read here, after the
/// diagnosis, never by the doctor).
/// </summary>
public static class MutationScore
{
    /// <summary>Seed of the default problem set.</summary>
    public const int DefaultSeed = 20260601;

    /// <summary>Random problems in the default set (after the scheduled shapes).</summary>
    public const int DefaultProblems = 24;

    /// <summary>The problem set: the scheduled shapes and <paramref name="count"/> random problems of <see cref="ProblemSource.Default"/> with <paramref name="seed"/>.</summary>
    public static IReadOnlyList<BatchNormProblem> ProblemSet(int seed = DefaultSeed, int count = DefaultProblems)
    {
        var source = ProblemSource.Default;
        return Enumerable.Range(0, source.Count(count)).Select(i => source.Case(seed, i)).ToList();
    }

    /// <summary>Runs every mutant in <paramref name="mutants"/> (for example every <see cref="Family.Mutant"/> of a registry).</summary>
    public static MutationReport Compute(IEnumerable<IBatchNormBackward> mutants, int seed = DefaultSeed, int problems = DefaultProblems)
    {
        ArgumentNullException.ThrowIfNull(mutants);
        var list = mutants.ToList();
        var source = ProblemSource.Default;
        int count = source.Count(problems);
        var options = new VerifierOptions { Cases = problems, Seed = seed, Source = source, Given = [], Shrink = false, Diagnose = false };
        var reports = new List<MutantResult>();
        foreach (var report in Verifier.Run(list, options))
        {
            var mutant = report.Implementation;
            var first = report.FirstFailure;
            var diagnosis = DerivationDoctor.Diagnose(mutant, first is null ? [] : [first.Case.Problem]);
            var planted = mutant as IPlantedFlaw;
            bool named = planted is not null && diagnosis.Names(planted.Planted, planted.PlantedIn);
            bool termLevel = planted is not null && planted.Planted is not (FindingKind.VarianceCancellation or FindingKind.NonFinite or FindingKind.Precision or FindingKind.Localized);
            reports.Add(new MutantResult(mutant.Info.Id, first is not null, first is null ? "survived" : $"{first.Case.Name}: {first.Summary}",
                planted?.PlantedIn, planted?.Planted, termLevel, named, diagnosis));
        }
        return new MutationReport(reports, seed, count);
    }
}
