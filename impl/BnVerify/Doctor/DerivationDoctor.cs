using System.Globalization;
using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// The derivation doctor: says what is wrong with a backward from its measured error alone, reporting what it saw before
/// what it guesses (issue 12).
/// <para>
/// <b>What it looks at.</b> Its own random cases (<see cref="DoctorProblems"/>: well conditioned, so the dx terms can be
/// told apart), the failing problems it is given (a failing check's case), and controlled re-runs: the same kind of
/// values at every size one below, at and one above the powers of two (<see cref="ShapeSweep"/>), with a column property
/// given to or taken from one column (gamma = 0, gamma &lt; 0, var = 0), and with N or the columns' offset growing
/// (<see cref="Growth"/>). Exact gradients come from the checker's closed form in float64; an element fails when it is not
/// finite or is off by more than the rounding the checker allows (<see cref="ErrorModel"/>).
/// </para>
/// <para>
/// <b>What it reports, in this order.</b> Where the failures are: NaN or infinity and where; only N = 1, only N past a
/// boundary, only some columns (which, and whether that is a tail past a multiple), only rows past some index, only
/// where gamma = 0 or negative or the variance is 0 — each column property confirmed by a re-run. How large: the worst
/// error, the factor the failing elements are off by written with the digits that show it (1 + 1.0e-7), and whether the
/// error grows with N (accumulation) or with the offset (cancellation), measured, not assumed. Then a named cause, only
/// when the cause's prediction explains at least <see cref="ExplainedShare"/> of the error (the share is printed):
/// per column the exact dx is c·(g − mean(g) − xhat·mean(g·xhat)) with c = gamma·invStd and g = dout, so the doctor
/// fits the error by least squares on c·[g, 1, xhat] and tests named hypotheses on the fit (a term missing, a sign, the
/// other sum, a factor such as 1/gamma or sign(gamma), invStd from another eps, another column's sums); dgamma and dbeta
/// are compared with the sums a named slip gives. When nothing explains the error it says so ("cause not identified")
/// and gives only the facts: a wrong confident diagnosis is worse than none.
/// </para>
/// <para>The implementation's declared verdict and reason are never read.</para>
/// </summary>
public static class DerivationDoctor
{
    /// <summary>Seed of the doctor's cases when none is given.</summary>
    public const int DefaultSeed = 6006;

    /// <summary>Number of cases when none is given.</summary>
    public const int DefaultCases = 6;

    /// <summary>Unit roundoff of float32, 2^-24: errors of about this size in a float64 implementation point at float32 arithmetic.</summary>
    private const double Float32Roundoff = 1.0 / (1 << 24);

    /// <summary>
    /// The share of the error (root of the sum of squares of the errors in natural units) a cause's prediction must
    /// explain before the cause is named: what it leaves must be at most 1% of the error.
    /// </summary>
    public const double ExplainedShare = 0.99;

    /// <summary>Diagnoses <paramref name="impl"/> on <paramref name="cases"/> random cases drawn from <paramref name="seed"/> and the doctor's re-runs.</summary>
    public static Diagnosis Diagnose(IBatchNormBackward impl, int seed = DefaultSeed, int cases = DefaultCases) => Diagnose(impl, [], seed, cases);

    /// <summary>
    /// Diagnoses <paramref name="impl"/> on its own cases, the doctor's re-runs, and <paramref name="failing"/>: problems on
    /// which a check failed (for example a failing check's shrunk case), so a failure specific to them is located.
    /// </summary>
    public static Diagnosis Diagnose(IBatchNormBackward impl, IReadOnlyList<BatchNormProblem> failing, int seed = DefaultSeed, int cases = DefaultCases)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        if (cases < 1) throw new ArgumentOutOfRangeException(nameof(cases), cases, "at least one case is needed");
        var own = Enumerable.Range(0, cases).Select(c => new DoctorSample(impl, DoctorProblems.Make(seed, c), $"the doctor's case {c}")).ToList();
        var given = failing.Select(p => new DoctorSample(impl, p, $"the failing {p.N}×{p.D} case")).ToList();
        var doctor = new Examination(impl, seed, own, given);
        return new Diagnosis(impl.Info.Id, seed, cases, doctor.Run(), doctor.Fits);
    }

    /// <summary>
    /// The text for reports and failing tests: the diagnosis in words, when dx is flawed the fitted coefficients of its
    /// most deviating column, and when anything is flawed a step study of the worst element (formula error, or
    /// finite-difference truncation or rounding).
    /// </summary>
    public static string Describe(IBatchNormBackward impl, int seed = DefaultSeed) => Describe(impl, [], seed);

    /// <summary><see cref="Describe(IBatchNormBackward, int)"/> with failing problems given (see <see cref="Diagnose(IBatchNormBackward, IReadOnlyList{BatchNormProblem}, int, int)"/>).</summary>
    public static string Describe(IBatchNormBackward impl, IReadOnlyList<BatchNormProblem> failing, int seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        var diagnosis = Diagnose(impl, failing, seed);
        var lines = new List<string> { $"diagnosis of {impl.Info.Id}: {diagnosis.KindsText()}" };
        foreach (var line in diagnosis.Summary().Split(Environment.NewLine)) lines.Add("  " + line);
        if (!diagnosis.Of(GradientName.Dx).Clean && diagnosis.DxFit.Count > 0)
        {
            // The column whose coefficients are furthest from the exact ones (relative), shown with the digits that differ.
            static double Off(double fitted, double exact) => Math.Abs(fitted - exact) / Math.Max(Math.Abs(exact), 1e-300);
            var f = diagnosis.DxFit.MaxBy(t => Off(t.Direct, 1) + Off(t.MeanPath, t.ExactMeanPath) + Off(t.VariancePath, t.ExactVariancePath) + t.Residual)!;
            lines.Add($"  dx fit (case {f.Case}, column {f.Column}, in units of gamma·invStd): direct {Num.Versus(f.Direct, 1)}, " +
                      $"mean path {Num.Versus(f.MeanPath, f.ExactMeanPath)}, variance path {Num.Versus(f.VariancePath, f.ExactVariancePath)}, residual {Num.Sci(f.Residual)}");
        }
        if (diagnosis.FlawFound)
        {
            // Is the mismatch the formula's? Re-measure the worst element of the first flawed gradient at h, h/2, h/4.
            var gradient = diagnosis.Gradients.First(g => !g.Clean).Gradient;
            var candidates = failing.Select(impl.InItsPrecision).Append(impl.InItsPrecision(DoctorProblems.Make(seed, 0))).ToList();
            var problem = candidates.FirstOrDefault(p => !GradientChecker.Check(impl, p, new CheckOptions(FiniteDifferences: false, ProbesPerGradient: 0)).Pass) ?? candidates[^1];
            var actual = impl.Run(problem).Of(gradient);
            var exact = ClosedForm.Gradients(problem).Of(gradient);
            int worst = Enumerable.Range(0, actual.Length).MaxBy(k => double.IsFinite(actual[k]) ? Math.Abs(actual[k] - exact[k]) : double.MaxValue);
            lines.Add("  " + StepStudy.Measure(impl, problem, gradient, worst).Sentence);
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// One line for a table cell (the <c>diagnosis</c> column of <c>check</c>): what the doctor finds wrong with
    /// <paramref name="impl"/>, using the failing check's problem as well as its own cases, and whether the failing
    /// check's worst mismatch is the formula's (step study on its problem). Empty for a passing result.
    /// </summary>
    public static string Sentence(IBatchNormBackward impl, CheckResult failing)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        if (failing.Pass) return "";
        var diagnosis = Diagnose(impl, [failing.Problem]);
        string words = string.Join(" ", diagnosis.Gradients.Where(g => !g.Clean).Select(g => $"{Gradients.NameOf(g.Gradient)}: {g.Sentence}"));
        if (words.Length == 0)
            words = "no gradient differs from the closed form beyond rounding on the failing case or any re-run; the check's failure is against its numerical oracle only.";
        var worst = failing.Gradients.Where(g => !g.Pass).Select(g => g.Worst).FirstOrDefault();
        if (worst is null) return words;
        int index = worst.Gradient == GradientName.Dx ? worst.Row * failing.Problem.D + worst.Col : worst.Col;
        var study = StepStudy.Measure(impl, failing.Problem, worst.Gradient, index);
        return $"{words} [{worst.Where}: {study.Source.ToString().ToLowerInvariant()} error by the step study]";
    }

    /// <summary>
    /// Turns a failing check of <paramref name="impl"/> into words for a failing test's message: the check's summary, the
    /// diagnosis (given the failing problem) and a step study of the worst failing element, which says whether the
    /// mismatch is the formula's or the finite differences' own. Returns "pass" for a passing result.
    /// </summary>
    public static string ExplainFailure(CheckResult result, IBatchNormBackward impl)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(impl);
        if (result.Pass) return "pass";
        var lines = new List<string> { result.Summary(), Describe(impl, [result.Problem]) };
        var worst = result.Gradients.Where(g => !g.Pass).Select(g => g.Worst).FirstOrDefault();
        if (worst is not null)
        {
            int index = worst.Gradient == GradientName.Dx ? worst.Row * result.Problem.D + worst.Col : worst.Col;
            var study = StepStudy.Measure(impl, result.Problem, worst.Gradient, index);
            lines.Add("  " + study.Sentence);
        }
        return string.Join(Environment.NewLine, lines);
    }

    // ==================================================================================================== the fit

    /// <summary>One column of one sample, with the three-term fit of its dx error.</summary>
    private sealed class DxColumn
    {
        public required DoctorSample Data { get; init; }
        public required int Case { get; init; }
        public required int J { get; init; }
        public required double[] G { get; init; }
        public required double[] Xh { get; init; }
        public required double[] E { get; init; }
        public required double[] Allow { get; init; }
        public int N => Data.N;
        public double Gamma => Data.Problem.Gamma[J];
        public double S => Data.Model.InvStd[J];
        public double Var => Data.Var[J];
        public double Eps => Data.Problem.Eps;
        public double C => Gamma * S;
        public double Unit => Data.Model.DxUnit[J];
        public double Mg { get; set; }
        public double Mgx { get; set; }
        public double Alpha { get; set; }
        public double Beta { get; set; }
        public double Nu { get; set; }
        public double Residual { get; set; }
        public double RowMeanCoefficient { get; set; }
        public double AugmentedResidual { get; set; }

        /// <summary>Every row of this column fails.</summary>
        public bool Failing { get; set; }

        /// <summary>No row of this column fails.</summary>
        public bool Clean { get; set; }

        public double Eb => -Mg;
        public double Ev => -Mgx;

        /// <summary>Σ (error/unit)² of this column.</summary>
        public double ErrorSquares => E.Sum(e => Sq(e / Unit));

        /// <summary>Σ (allowance/unit)²: what rounding alone may leave.</summary>
        public double AllowSquares => Allow.Sum(a => Sq(a / Unit));

        /// <summary>Σ (what a prediction (a, b, v) of the coefficients leaves of the error, per unit)².</summary>
        public double Remaining(double a, double b, double v)
        {
            double sum = 0;
            for (int i = 0; i < E.Length; i++)
                sum += Sq((E[i] - C * ((a - 1) * G[i] + (b - Eb) + (v - Ev) * Xh[i])) / Unit);
            return sum;
        }

        /// <summary>The same for a prediction of the whole dx column, element by element.</summary>
        public double Remaining(Func<int, double> predictedError)
        {
            double sum = 0;
            for (int i = 0; i < E.Length; i++) sum += Sq((E[i] - predictedError(i)) / Unit);
            return sum;
        }

        /// <summary>Means of dout and dout·xhat of column <paramref name="m"/> of the same sample.</summary>
        public (double Mg, double Mgx) SumsOf(int m)
        {
            var p = Data.Problem;
            double mg = 0, mgx = 0;
            for (int i = 0; i < p.N; i++)
            {
                mg += p.Dout[i * p.D + m] / p.N;
                mgx += p.Dout[i * p.D + m] * Data.Model.Xhat[i * p.D + m] / p.N;
            }
            return (mg, mgx);
        }
    }

    private static double Sq(double v) => v * v;

    /// <summary>A named factor a gradient or a term may be off by, evaluated on column j of a sample.</summary>
    private sealed record Factor(string Name, Func<DoctorSample, int, double> Value);

    private static readonly Factor[] NamedFactors =
    [
        new("−1", (_, _) => -1),
        new("1/gamma (gamma is missing)", (s, j) => 1 / s.Problem.Gamma[j]),
        new("gamma (gamma is applied twice)", (s, j) => s.Problem.Gamma[j]),
        new("sqrt(var + eps) (invStd is missing)", (s, j) => 1 / s.Model.InvStd[j]),
        new("invStd (invStd is applied twice)", (s, j) => s.Model.InvStd[j]),
        new("N", (s, _) => s.N),
        new("1/N", (s, _) => 1.0 / s.N),
        new("(1 − 1/N)", (s, _) => 1 - 1.0 / s.N),
        new("N/(N − 1)", (s, _) => s.N / (s.N - 1.0)),
        new("(N − 1)/N", (s, _) => (s.N - 1.0) / s.N),
        new("2", (_, _) => 2),
        new("1/2", (_, _) => 0.5),
        new("0 (the gradient is zero)", (_, _) => 0),
    ];

    /// <summary>
    /// A cause: what it is, and the share of the error its prediction explains (negative when the cause is a measured
    /// fact rather than a fitted prediction: a probe, a growth law, a pattern). <paramref name="More"/> are further
    /// findings of the same cause (a second wrong term, a probe's confirmation).
    /// </summary>
    private sealed record Cause(FindingKind Kind, DxTerm Term, string Words, double Share, IReadOnlyList<(FindingKind Kind, DxTerm Term, string Words)>? More = null);

    // ==================================================================================================== the examination

    private sealed class Examination(IBatchNormBackward impl, int seed, List<DoctorSample> own, List<DoctorSample> failing)
    {
        private ShapeSweep _sweep = null!;
        private ShapeSweep? _again;
        private readonly Dictionary<int, DoctorSample> _refits = [];
        private ProbeResult _probe = null!;
        private Func<DoctorSample, int, double>? _invStdRatio;
        private FindingKind _invStdKind;
        private string _invStdWords = "";

        public List<TermFit> Fits { get; } = [];

        /// <summary>
        /// The doctor's case 0 with special values: gamma = 0 in column 0 and a constant column 1 (var = 0); and with every
        /// column 10⁴ spreads from 0 (where a variance that cancels in float64 is off by ~u·10⁸, far past the allowance).
        /// Used to see where a failure is (a NaN at gamma = 0 shows here even when no failing case is given), never in a fit.
        /// </summary>
        private List<DoctorSample> _specials = null!;

        /// <summary>Every sample: the doctor's cases, the special-values cases, the failing ones, the shape sweeps.</summary>
        private IEnumerable<DoctorSample> Everything => own.Concat(_specials).Concat(failing).Concat(_sweep.All);

        /// <summary>Samples with doctor-style values (their own cases and the sweeps): a failure there is the code's, not the values'.</summary>
        private IEnumerable<DoctorSample> Controlled => own.Concat(_sweep.All);

        public IReadOnlyList<GradientDiagnosis> Run()
        {
            int fixedN = failing.Count > 0 ? failing[0].N : 8;
            int fixedD = failing.Count > 0 ? failing[0].D : 3;
            _sweep = ShapeSweep.Run(impl, seed, fixedN, fixedD);
            var p0 = own[0].Problem;
            var gamma = (double[])p0.Gamma.Clone();
            gamma[0] = 0;
            var x = (double[])p0.X.Clone();
            for (int i = 0; i < p0.N; i++) x[i * p0.D + 1] = p0.X[1];
            var far = p0;
            for (int j = 0; j < p0.D; j++) far = ColumnProperty.OffsetAtLeast(1000).Give(far, j);
            _specials =
            [
                new DoctorSample(impl, new BatchNormProblem(p0.N, p0.D, x, gamma, p0.Beta, p0.Eps, p0.Dout), "the doctor's case 0 with gamma = 0 in column 0 and column 1 constant"),
                new DoctorSample(impl, far, "the doctor's case 0 with every column 10⁴ spreads from 0"),
            ];
            _probe = ProbeResult.Measure(impl, own[0]);
            return [Analyse(GradientName.Dx), Analyse(GradientName.Dgamma), Analyse(GradientName.Dbeta)];
        }

        private static double MaxError(IEnumerable<DoctorSample> samples, GradientName g)
        {
            double max = 0;
            foreach (var s in samples)
            {
                int length = s.Actual.Of(g).Length;
                for (int k = 0; k < length; k++)
                {
                    double err = s.ErrorUnits(g, k);
                    if (!(err <= max)) max = err;
                }
            }
            return max;
        }

        private GradientDiagnosis Analyse(GradientName g)
        {
            string name = Gradients.NameOf(g);
            double maxError = MaxError(own.Concat(failing), g);
            var failingSamples = Everything.Where(s => s.FailsAnywhere(g)).ToList();
            if (failingSamples.Count == 0)
                return new GradientDiagnosis(g, [new Finding(g, FindingKind.NoFlawFound, DxTerm.None, $"no flaw found: {name} agrees with the exact gradient within rounding.")], maxError);

            var facts = new List<string>();
            var findings = new List<Finding>();

            // 1. Where: NaN or infinity, then the locality of the failing elements.
            bool nonFinite = failingSamples.Any(s => s.NonFinite(g));
            var where = Locate(g, nonFinite);
            if (nonFinite) findings.Add(new Finding(g, FindingKind.NonFinite, DxTerm.All, where.NonFiniteWords));
            if (where.Informative) findings.Add(new Finding(g, FindingKind.Localized, DxTerm.All, where.LocalizedWords));
            facts.AddRange(where.Facts);

            // 2. How large.
            facts.AddRange(Size(g, failingSamples));

            // 3. Why: a named cause only when it explains the error.
            Cause? cause = null;
            // (NaN or infinity, where present, has been located above; the cause is sought on the finite samples.)
            {
                cause = g == GradientName.Dx ? ExplainDx() : ExplainSum(g);
                bool small = maxError < 1e-3;
                if (cause is null || cause.Kind is FindingKind.InvStdDiffers or FindingKind.CoefficientsWrong || (small && cause.Kind == FindingKind.NotOfThisForm))
                {
                    // Controlled re-runs: does the error grow with N (accumulation) or with the offset (cancellation)?
                    var withN = Growth.WithN(impl, g, seed);
                    var withOffset = Growth.WithOffset(impl, g, seed);
                    var measured = new[] { withN, withOffset }.Where(x => x.Measurable).Select(x => x.Sentence).ToList();
                    if (measured.Count > 0) facts.Add($"re-runs show the error {string.Join(" and ", measured)}.");
                    var precision = ExplainByGrowth(g, withN, withOffset, cause);
                    if (precision is not null) cause = precision;
                }
            }

            if (cause is not null && cause.Kind is not (FindingKind.CoefficientsWrong or FindingKind.InvStdDiffers))
            {
                string share = cause.Share >= 0 ? $" (explains {Num.Share(cause.Share)} of the error)" : "";
                static string With(string words, string share) => share.Length == 0 ? words : words.TrimEnd('.') + share + ".";
                findings.Add(new Finding(g, cause.Kind, cause.Term, cause.More is null ? With(cause.Words, share) : cause.Words));
                foreach (var (kind, term, words) in cause.More ?? []) findings.Add(new Finding(g, kind, term, words));
                if (cause.More is { Count: > 0 }) findings[^1] = findings[^1] with { Sentence = With(findings[^1].Sentence, share) };
                if (cause.Kind == FindingKind.NotOfThisForm && cause.More is null)
                    findings.Add(new Finding(g, FindingKind.Unexplained, DxTerm.All, "Cause not identified: no named cause explains 99% of the error."));
            }
            else
            {
                findings.Add(new Finding(g, FindingKind.Unexplained, DxTerm.All,
                    "cause not identified: no named cause explains 99% of the error" + (cause is null ? "." : $"; the fit shows: {cause.Words.TrimEnd('.')}.")));
            }
            return new GradientDiagnosis(g, findings, maxError, facts);
        }

        // ------------------------------------------------------------------------------------------------ where

        private sealed record Where(List<string> Facts, bool Informative, string LocalizedWords, string NonFiniteWords, ColumnProperty? Property);

        private Where Locate(GradientName g, bool nonFinite)
        {
            string name = Gradients.NameOf(g);
            var facts = new List<string>();
            var localized = new List<string>();

            // The failing check's case: how much of it fails, and where.
            string caseWords = "";
            foreach (var s in failing.Take(1))
            {
                var mask = s.Mask(g);
                int count = mask.Count(b => b);
                if (count == 0)
                {
                    facts.Add($"{name} passes on {s.Origin}.");
                    continue;
                }
                var cols = s.FailingColumns(g);
                string where = cols.All(c => c) ? "every column" : $"columns {Num.List(Enumerable.Range(0, s.D).Where(j => cols[j]))} of {s.D}";
                if (g == GradientName.Dx)
                {
                    var rows = s.FailingRows();
                    where += rows.All(r => r) ? ", every row" : $", rows {Runs(rows)} of {s.N}";
                }
                int nan = s.Actual.Of(g).Count(v => !double.IsFinite(v));
                caseWords = count == mask.Length
                    ? $"on {s.Origin} every element fails{(nan > 0 ? $", {nan} of them NaN or infinite" : "")}"
                    : $"on {s.Origin} {count} of {mask.Length} elements fail ({where}){(nan > 0 ? $", {nan} of them NaN or infinite" : "")}";
            }

            // A column property the failures are confined to, consistent with every sample and confirmed by a re-run.
            var (property, confirmation) = FindProperty(g);
            if (property is not null) localized.Add($"only in columns where {property.Name} ({confirmation})");

            // Index patterns, on controlled values only, informative when two failing re-runs of different sizes agree.
            var controlledFailing = Controlled.Where(s => s.FailsAnywhere(g)).ToList();
            int sweepsFailing(Func<DoctorSample, int> size) => _sweep.All.Where(s => s.FailsAnywhere(g)).Select(size).Distinct().Count();
            if (property is null)
            {
                var columns = Patterns.Indices("columns", controlledFailing.Where(s => s.D >= 2).Select(s => (s.D, s.FailingColumns(g))).ToList());
                if (columns is { Informative: true } c && sweepsFailing(s => s.D) >= 2) localized.Add(c.Text);
            }
            if (g == GradientName.Dx)
            {
                var rows = Patterns.Indices("rows", controlledFailing.Where(s => s.N >= 2).Select(s => (s.N, s.FailingRows())).ToList());
                if (rows is { Informative: true } r && sweepsFailing(s => s.N) >= 2) localized.Add(r.Text);
            }

            // Shapes: the sweeps over N and over D; a pattern counts only when a second draw of values fails at the same sizes.
            var (nText, nInformative) = _sweep.RowPattern(g);
            var (dText, dInformative) = _sweep.ColumnPattern(g);
            if (nInformative || dInformative)
            {
                _again ??= ShapeSweep.Run(impl, seed + 7777, _sweep.FixedN, _sweep.FixedD);
                static IEnumerable<int> Failing(IEnumerable<DoctorSample> samples, GradientName g, Func<DoctorSample, int> size) =>
                    samples.Where(s => s.FailsAnywhere(g)).Select(size);
                nInformative &= Failing(_sweep.Rows, g, s => s.N).SequenceEqual(Failing(_again.Rows, g, s => s.N));
                dInformative &= Failing(_sweep.Columns, g, s => s.D).SequenceEqual(Failing(_again.Columns, g, s => s.D));
            }
            if (nInformative) localized.Add($"{nText} (re-runs at D = {_sweep.FixedD})");
            if (dInformative) localized.Add($"{dText} (re-runs at N = {_sweep.FixedN})");
            bool sweepsPass = !_sweep.All.Any(s => s.FailsAnywhere(g));
            bool ownPass = !own.Any(s => s.FailsAnywhere(g));
            if (sweepsPass && ownPass && property is null)
                facts.Add($"re-runs on ordinary values pass at every N = 1..{_sweep.Rows[^1].N} (D = {_sweep.FixedD}), every D = 1..{_sweep.Columns[^1].D} (N = {_sweep.FixedN}) and on the doctor's {own.Count} cases: the failure needs something in the failing case's values.");

            bool informative = localized.Count > 0;
            string localizedWords = "";
            if (informative)
                localizedWords = $"{name} fails {string.Join("; ", localized.Select(l => l.StartsWith("fails ", StringComparison.Ordinal) ? l[6..] : l))}" +
                                 (caseWords.Length > 0 && !nonFinite ? $"; {caseWords}." : ".");
            else if (caseWords.Length > 0) facts.Insert(0, caseWords + ".");

            string nonFiniteWords = "";
            if (nonFinite)
            {
                var s = failing.FirstOrDefault(x => x.NonFinite(g)) ?? Everything.First(x => x.NonFinite(g));
                var a = s.Actual.Of(g);
                var bad = Enumerable.Range(0, a.Length).Where(k => !double.IsFinite(a[k])).ToList();
                var badColumns = bad.Select(k => s.ColumnOf(g, k)).Distinct().Order().ToList();
                string kinds = string.Join(" and ", bad.Select(k => double.IsNaN(a[k]) ? "NaN" : "infinite").Distinct());
                string rowsWords = g == GradientName.Dx ? (bad.Count == badColumns.Count * s.N ? "every row of " : "some rows of ") : "";
                nonFiniteWords = $"{name} is {kinds} on finite input: {bad.Count} of {a.Length} elements of {s.Origin}, in {rowsWords}column{(badColumns.Count == 1 ? "" : "s")} {Num.List(badColumns)}" +
                                 (property is not null ? $", exactly the columns where {property.Name}." : ".");
            }
            return new Where(facts, informative, localizedWords, nonFiniteWords, property);
        }

        /// <summary>
        /// A column property every failing column has, which every column on controlled values with N ≥ 4 that has it
        /// shows (for gamma and var), confirmed by a re-run; then a large offset (≥ 10, 100 or 1000 spreads), confirmed by
        /// shifting a passing column that far and by centring a failing one.
        /// </summary>
        private (ColumnProperty? Property, string Confirmation) FindProperty(GradientName g)
        {
            bool Confined(ColumnProperty prop) =>
                Everything.All(s => { var c = s.FailingColumns(g); return Enumerable.Range(0, s.D).All(j => !c[j] || prop.Holds(s, j)); });
            foreach (var prop in ColumnProperty.All)
            {
                if (!Everything.Any(s => Enumerable.Range(0, s.D).Any(j => prop.Holds(s, j)))) continue;
                // On controlled values (N ≥ 4, where no formula's error vanishes by itself) every column with it fails.
                bool covers = Controlled.Where(s => s.N >= 4).All(s => { var c = s.FailingColumns(g); return Enumerable.Range(0, s.D).All(j => c[j] || !prop.Holds(s, j)); });
                if (!Confined(prop) || !covers) continue;
                var confirmed = Confirm(g, prop);
                if (confirmed is not null) return (prop, confirmed);
            }
            foreach (double spreads in new[] { 1000.0, 100, 10 })
            {
                var prop = ColumnProperty.OffsetAtLeast(spreads);
                if (!Confined(prop)) continue;
                var confirmed = Confirm(g, prop);
                if (confirmed is not null) return (prop, confirmed);
            }
            return (null, "");
        }

        /// <summary>"64..64", "0..3, 9" for the true runs.</summary>
        private static string Runs(bool[] flags)
        {
            var runs = new List<string>();
            for (int i = 0; i < flags.Length; i++)
            {
                if (!flags[i]) continue;
                int start = i;
                while (i + 1 < flags.Length && flags[i + 1]) i++;
                runs.Add(Num.Run(start, i));
            }
            return runs.Count <= 6 ? string.Join(", ", runs) : string.Join(", ", runs.Take(6)) + ", …";
        }

        /// <summary>
        /// Confirms that <paramref name="prop"/> is what makes columns fail: give it to a passing column of a controlled sample
        /// (it must fail), and take it from a failing column (it must pass). Null when a re-run disagrees.
        /// </summary>
        private string? Confirm(GradientName g, ColumnProperty prop)
        {
            var baseSample = Controlled.Where(s => s.N >= 4).FirstOrDefault(s => Enumerable.Range(0, s.D).Any(j => !prop.Holds(s, j) && !s.FailingColumns(g)[j]));
            if (baseSample is null) return null;
            int jGive = Enumerable.Range(0, baseSample.D).First(j => !prop.Holds(baseSample, j) && !baseSample.FailingColumns(g)[j]);
            var given = new DoctorSample(impl, prop.Give(baseSample.Problem, jGive), "re-run");
            if (!given.FailingColumns(g)[jGive]) return null;
            string words = $"confirmed by re-runs: {prop.GiveWords} in column {jGive} of a passing {baseSample.Shape} case makes that column fail";
            var takeFrom = Everything.Where(s => s.N >= 2).SelectMany(s => Enumerable.Range(0, s.D).Where(j => prop.Holds(s, j) && s.FailingColumns(g)[j]).Select(j => (s, j))).FirstOrDefault();
            if (takeFrom.s is not null)
            {
                var taken = new DoctorSample(impl, prop.Take(takeFrom.s.Problem, takeFrom.j), "re-run");
                if (taken.FailingColumns(g)[takeFrom.j]) return null;
                words += $", and {prop.TakeWords} in failing column {takeFrom.j} of {takeFrom.s.Origin.Replace("a re-run at ", "the re-run at ", StringComparison.Ordinal)} makes it pass";
            }
            return words;
        }

        // ------------------------------------------------------------------------------------------------ how large

        private IEnumerable<string> Size(GradientName g, List<DoctorSample> failingSamples)
        {
            var finite = failingSamples.Where(s => !s.NonFinite(g)).ToList();
            if (finite.Count == 0) yield break;
            double worst = 0;
            foreach (var s in finite)
                foreach (int k in s.FailingElements(g))
                    if (s.Model.Unit(g, k) > 0) worst = Math.Max(worst, s.ErrorUnits(g, k));
            // One factor for every failing element: actual ≈ k·exact, weighted by the natural unit.
            double sae = 0, see = 0, err = 0;
            bool exactVanishes = true;
            foreach (var s in finite)
            {
                var a = s.Actual.Of(g);
                var e = s.Exact.Of(g);
                foreach (int k in s.FailingElements(g))
                {
                    double unit = s.Model.Unit(g, k);
                    if (!(unit > 0)) continue;
                    sae += a[k] * e[k] / (unit * unit);
                    see += e[k] * e[k] / (unit * unit);
                    err += Sq((a[k] - e[k]) / unit);
                    if (Math.Abs(e[k]) > 1e-6 * unit) exactVanishes = false;
                }
            }
            string size = $"error up to {Num.Sci(worst)} in its natural unit";
            if (see > 0 && err > 0 && !exactVanishes)
            {
                double k = sae / see, left = 0;
                foreach (var s in finite)
                {
                    var a = s.Actual.Of(g);
                    var e = s.Exact.Of(g);
                    foreach (int i in s.FailingElements(g))
                        if (s.Model.Unit(g, i) > 0) left += Sq((a[i] - k * e[i]) / s.Model.Unit(g, i));
                }
                double share = 1 - Math.Sqrt(left / err);
                if (share >= ExplainedShare && Math.Abs(k) > 1e-12)
                    size += k == -1 ? $"; the failing elements are −exact (this explains {Num.Share(share)} of the error)"
                                    : $"; the failing elements are ({Num.Factor(k)})·exact (this factor explains {Num.Share(share)} of the error)";
            }
            else if (exactVanishes && g == GradientName.Dx)
            {
                // Where the exact dx vanishes (N = 1: x − mean = 0), say what the implementation returns instead.
                double scc = 0, sac = 0, left = 0;
                foreach (var s in finite)
                    foreach (int k in s.FailingElements(g))
                    {
                        int j = k % s.D;
                        double unit = s.Model.DxUnit[j];
                        double direct = s.Problem.Gamma[j] * s.Model.InvStd[j] * s.Problem.Dout[k] / unit;
                        scc += direct * direct;
                        sac += direct * s.Actual.Dx[k] / unit;
                    }
                double kd = scc > 0 ? sac / scc : 0;
                foreach (var s in finite)
                    foreach (int k in s.FailingElements(g))
                    {
                        int j = k % s.D;
                        double unit = s.Model.DxUnit[j];
                        left += Sq((s.Actual.Dx[k] - kd * s.Problem.Gamma[j] * s.Model.InvStd[j] * s.Problem.Dout[k]) / unit);
                    }
                if (scc > 0 && 1 - Math.Sqrt(left / err) >= ExplainedShare)
                    size += $"; where it fails the exact dx is 0 and the implementation returns {(kd == 1 ? "" : $"({Num.Factor(kd)})·")}gamma·invStd·dout (the direct term alone)";
            }
            if (finite.All(s => s.FailingElements(g).All(k => s.Actual.Of(g)[k] == 0)))
                size += "; every failing element is exactly 0";
            // A float64 implementation whose worst error is between 0.2 and 1000 float32 units: that is float32's size, not float64's.
            else if (impl.UnitRoundoff < Float32Roundoff / 1e6 && worst >= 0.2 * Float32Roundoff && worst <= 1e3 * Float32Roundoff)
                size += $"; that is the size of float32 rounding (u = {Num.Sci(Float32Roundoff)}), far above this implementation's own (u = {Num.Sci(impl.UnitRoundoff)})";
            yield return size + ".";
        }

        // ------------------------------------------------------------------------------------------------ why: dx

        /// <summary>
        /// The samples the three-term fit is made on: the doctor's own cases, the failing sweep re-runs with N ≥ 4, and when
        /// the failure needs more columns than the doctor's cases have, re-runs at the smallest failing D with N = 8.
        /// </summary>
        private List<(DoctorSample Sample, int Case)> FitSamples(GradientName g)
        {
            var samples = own.Select((s, c) => (s, c)).ToList();
            int next = own.Count;
            foreach (var s in _sweep.All.Where(s => s.FailsAnywhere(g) && s.N >= 4 && (long)s.N * s.D <= 1 << 14).OrderBy(s => (long)s.N * s.D).Take(4))
                samples.Add((s, next++));
            if (_sweep.FixedN < 4)
                foreach (var d in _sweep.Columns.Where(s => s.FailsAnywhere(g)).Select(s => s.D).Where(d => 8L * d <= 1 << 14).Take(3))
                {
                    if (!_refits.TryGetValue(d, out var refit))
                        _refits[d] = refit = new DoctorSample(impl, DoctorProblems.Shaped(seed, 9000 + d, 8, d), $"a re-run at 8×{d}");
                    if (refit.FailsAnywhere(g)) samples.Add((refit, next++));
                }
            return samples;
        }

        private Cause? ExplainDx()
        {
            var columns = new List<DxColumn>();
            foreach (var (s, c) in FitSamples(GradientName.Dx))
                for (int j = 0; j < s.D; j++)
                    columns.Add(FitColumn(c, s, j));
            var failingColumns = columns.Where(c => c.Failing).ToList();
            if (failingColumns.Count == 0) return null; // no column fails in every row: a term-level cause cannot be fitted

            bool localOnly = columns.Any(c => c.Clean);
            // First every column at once (a cause of the whole dx, which must leave the clean columns clean), then, when some
            // columns pass, the failing columns alone (a cause confined to them), then another column's sums.
            var global = ExplainColumns(columns, global: true);
            if (Explains(global)) return global;
            if (localOnly)
            {
                var local = ExplainColumns(failingColumns, global: false);
                if (Explains(local)) return local! with { Words = "in the columns that fail, " + Uncapitalized(local.Words) };
                global ??= local;
            }
            var borrowed = Borrowed(columns);
            if (borrowed is not null) return borrowed;
            if (global is null && _probe.CrossColumn && !localOnly)
                return new Cause(FindingKind.WrongAxis, DxTerm.All, "a reduction runs over the wrong axis: dx of one column changes with another column's dout.", -1);
            return global;
        }

        /// <summary>A cause that names something (not "the coefficients are wrong" or "invStd differs" with no reason).</summary>
        private static bool Explains(Cause? cause) => cause is not null && cause.Kind is not (FindingKind.CoefficientsWrong or FindingKind.InvStdDiffers);

        private static string Uncapitalized(string s) => s.Length > 1 && char.IsUpper(s[0]) && char.IsLower(s[1]) ? char.ToLowerInvariant(s[0]) + s[1..] : s;

        /// <summary>Share of the error a prediction of the coefficients explains over <paramref name="columns"/>; −∞ when it spoils a clean column or leaves a failing column mostly unexplained.</summary>
        private static double Share(IReadOnlyList<DxColumn> columns, Func<DxColumn, (double A, double B, double V)> predict)
        {
            double left = 0, total = 0;
            foreach (var c in columns)
            {
                var (a, b, v) = predict(c);
                double rem = c.Remaining(a, b, v);
                if (!double.IsFinite(rem)) return double.NegativeInfinity;
                if (c.Clean)
                {
                    // A clean column must stay within rounding under the prediction.
                    if (rem > 4 * c.AllowSquares + 1e-300) return double.NegativeInfinity;
                    continue;
                }
                double err = c.ErrorSquares;
                // A column whose error is well above rounding must itself be mostly explained (90%): a cause that fits
                // the large columns and misses the small ones is not the cause.
                if (err > 100 * c.AllowSquares && rem > 0.01 * err) return double.NegativeInfinity;
                left += rem;
                total += err;
            }
            return total > 0 ? 1 - Math.Sqrt(left / total) : double.NegativeInfinity;
        }

        private Cause? Named(IReadOnlyList<DxColumn> columns, FindingKind kind, DxTerm term, string words, Func<DxColumn, (double, double, double)> predict)
        {
            double share = Share(columns, predict);
            return share >= ExplainedShare ? new Cause(kind, term, words, share) : null;
        }

        private Cause? ExplainColumns(List<DxColumn> columns, bool global)
        {
            var failingColumns = columns.Where(c => c.Failing).ToList();
            double worstResidual = failingColumns.Max(c => c.Residual);
            bool inSpan = Share(columns, c => (c.Alpha, c.Beta, c.Nu)) >= ExplainedShare;
            if (!inSpan) return global ? OutOfSpan(columns) : null;

            // 1. The whole dx off by one factor per column: c·f·(g − mean(g) − xhat·mean(g·xhat)).
            foreach (var f in NamedFactors)
            {
                var cause = Named(columns, FindingKind.WrongScale, DxTerm.All, "", c => { double k = f.Value(c.Data, c.J); return (k, k * c.Eb, k * c.Ev); });
                if (cause is null) continue;
                return f.Name switch
                {
                    "−1" => cause with { Kind = FindingKind.SignFlipped, Words = "dx has the wrong sign: all three terms are negated." },
                    "1/gamma (gamma is missing)" => cause with { Kind = FindingKind.GammaMissing, Words = "dx is off by a constant factor of 1/gamma: gamma is missing." },
                    "sqrt(var + eps) (invStd is missing)" => cause with { Kind = FindingKind.InvStdMissing, Words = "dx is off by a factor of sqrt(var + eps): invStd is missing." },
                    "0 (the gradient is zero)" => cause with { Words = "dx is 0 where the exact dx is not." },
                    _ => cause with { Words = $"dx has all three terms right but is off by a factor of {f.Name}." },
                };
            }
            if (global && columns.Any(c => c.Gamma < 0) && columns.Any(c => c.Gamma > 0))
            {
                var sign = Named(columns, FindingKind.GammaSign, DxTerm.All,
                    "dx has the wrong sign exactly in the columns where gamma < 0 and is right elsewhere: |gamma| is used where gamma belongs (dx = |gamma|·invStd·(…)).",
                    c => { double k = Math.Sign(c.Gamma); return (k, k * c.Eb, k * c.Ev); });
                if (sign is not null) return sign;
            }
            double median = Median(failingColumns.Select(c => c.Alpha));
            var constant = Named(columns, FindingKind.WrongScale, DxTerm.All, $"dx has all three terms right but is off by a constant factor of {Num.Factor(median)}.",
                c => c.Failing || global ? (median, median * c.Eb, median * c.Ev) : (c.Alpha, c.Beta, c.Nu));
            if (constant is not null && median != 1) return constant;

            // 2. invStd replaced by r·invStd: dx = r·(…), or with xhat recomputed from it, the variance path carries r³.
            foreach (int power in new[] { 0, 2 })
            {
                if (Share(columns, c => (c.Alpha, c.Alpha * c.Eb, Math.Pow(c.Alpha, power + 1) * c.Ev)) < ExplainedShare) continue;
                return InvStd(columns, power);
            }

            // 3. Both cross-sample terms gone: dx_i is a multiple of g_i alone.
            if (Share(columns, c => (c.Alpha, 0, 0)) >= ExplainedShare)
            {
                string? factor = NameFactor(failingColumns, c => c.Alpha);
                string direct = factor switch
                {
                    "(1 − 1/N)" => "; the direct term is scaled by (1 − 1/N) (only the own-sample share of the mean path survives)",
                    null => "; the direct term's coefficient also differs from 1 and varies",
                    "1" => "",
                    string other => $"; the direct term is scaled by {other}",
                };
                double share = Share(columns, c => (c.Alpha, 0, 0));
                return new Cause(FindingKind.CrossSampleTermsMissing, DxTerm.All,
                    $"the mean-path and variance-path terms are missing (the cross-sample terms: the Jacobian was treated as diagonal){direct}." +
                    (_probe.Diagonal ? " Confirmed by a probe: dx of one row does not change with another row's dout." : ""), share);
            }

            // 4. Term by term.
            return Terms(columns);
        }

        /// <summary>A named factor f (or a constant) with value(c) ≈ f on every column, or null.</summary>
        private static string? NameFactor(IReadOnlyList<DxColumn> columns, Func<DxColumn, double> value)
        {
            static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(b));
            if (columns.All(c => Close(value(c), 1))) return "1";
            foreach (var f in NamedFactors)
                if (columns.All(c => Close(value(c), f.Value(c.Data, c.J)))) return f.Name;
            double k = value(columns[0]);
            return columns.All(c => Close(value(c), k)) ? Num.Factor(k) : null;
        }

        private static double Median(IEnumerable<double> values)
        {
            var list = values.Order().ToList();
            return list.Count == 0 ? double.NaN : list[list.Count / 2];
        }

        private Cause? Terms(List<DxColumn> columns)
        {
            // Each wrong term in turn, the other two at their fitted values: which named choice explains it?
            var choices = new List<(DxTerm Term, FindingKind Kind, string Words, Func<DxColumn, double> Value)>();
            var unnamed = new List<string>();

            static (double, double, double) Replace((double A, double B, double V) t, DxTerm term, double value) => term switch
            {
                DxTerm.Direct => (value, t.B, t.V),
                DxTerm.MeanPath => (t.A, value, t.V),
                _ => (t.A, t.B, value),
            };

            void Term(DxTerm term, string label, Func<DxColumn, double> fitted, Func<DxColumn, double> exact,
                      IEnumerable<(FindingKind Kind, string Words, Func<DxColumn, double> Value)> named)
            {
                if (Share(columns, c => Replace((c.Alpha, c.Beta, c.Nu), term, exact(c))) >= ExplainedShare) return; // right as it is
                foreach (var (kind, words, value) in named)
                {
                    if (Share(columns, c => Replace((c.Alpha, c.Beta, c.Nu), term, value(c))) < ExplainedShare) continue;
                    choices.Add((term, kind, words, value));
                    return;
                }
                if (ScaleOf(columns, fitted, exact) is { } scale && Share(columns, c => Replace((c.Alpha, c.Beta, c.Nu), term, scale.Value(c))) >= ExplainedShare)
                {
                    choices.Add((term, FindingKind.TermScaled, $"the {label} term is off by a factor of {scale.Name}.", scale.Value));
                    return;
                }
                var worst = columns.Where(c => c.Failing).MaxBy(c => Math.Abs(fitted(c) - exact(c)) / Math.Max(Math.Abs(exact(c)), 1e-300))!;
                unnamed.Add($"the {label} coefficient is wrong and no named slip explains it (fitted {Num.Versus(fitted(worst), exact(worst))} on {worst.Data.Origin}, column {worst.J})");
            }

            // Direct term: exact coefficient 1.
            Term(DxTerm.Direct, "direct", c => c.Alpha, _ => 1,
            [
                (FindingKind.DirectTermMissing, "the direct term gamma·invStd·dout is missing.", _ => 0),
                (FindingKind.SignFlipped, "the direct term has the wrong sign.", _ => -1),
            ]);
            // Mean-path term: exact coefficient −mean(g).
            Term(DxTerm.MeanPath, "mean-path", c => c.Beta, c => c.Eb,
            [
                (FindingKind.MeanPathMissing, "the mean-path term −gamma·invStd·mean(dout) is missing.", _ => 0),
                (FindingKind.SignFlipped, "the mean-path term has the wrong sign.", c => -c.Eb),
                (FindingKind.MeanCoefficientUsesSumGXhat, "the mean-path coefficient uses Σ(dout·xhat) where Σdout belongs.", c => c.Ev),
            ]);
            // Variance-path term: exact coefficient −mean(g·xhat).
            Term(DxTerm.VariancePath, "variance-path", c => c.Nu, c => c.Ev,
            [
                (FindingKind.VarianceTermMissing, "the variance-path term −gamma·invStd·xhat·mean(dout·xhat) is missing.", _ => 0),
                (FindingKind.SignFlipped, "the variance-path term has the wrong sign.", c => -c.Ev),
                (FindingKind.VarianceCoefficientUsesSumG, "the variance-path coefficient uses Σdout where Σ(dout·xhat) belongs (xhat·Σdout instead of xhat·Σ(dout·xhat)).", c => c.Eb),
            ]);

            if (unnamed.Count > 0)
                return new Cause(FindingKind.CoefficientsWrong, DxTerm.All, string.Join("; ", choices.Select(c => c.Words).Concat(unnamed)), -1);
            if (choices.Count == 0) return null;
            // The named choices together, with no fitted coefficient left: do they explain the error?
            double combined = Share(columns, c =>
            {
                (double A, double B, double V) t = (1, c.Eb, c.Ev);
                foreach (var choice in choices) t = Replace(t, choice.Term, choice.Value(c));
                return t;
            });
            if (combined < ExplainedShare)
                return new Cause(FindingKind.CoefficientsWrong, DxTerm.All,
                    $"{string.Join(" ", choices.Select(c => c.Words))} Together these explain only {Num.Share(combined)} of the error", -1);
            var first = choices[0];
            return new Cause(first.Kind, first.Term, first.Words, combined,
                choices.Count > 1 ? choices.Skip(1).Select(c => (c.Kind, c.Term, c.Words)).ToList() : null);
        }

        /// <summary>A named factor (or a constant) f with fitted ≈ f·exact on every failing column, explaining the term; null if none.</summary>
        private static (string Name, Func<DxColumn, double> Value)? ScaleOf(List<DxColumn> columns, Func<DxColumn, double> fitted, Func<DxColumn, double> exact)
        {
            var failing = columns.Where(c => c.Failing && Math.Abs(exact(c)) > 0).ToList();
            if (failing.Count == 0) return null;
            static bool Close(double a, double b, double scale) => Math.Abs(a - b) <= 1e-6 * scale;
            foreach (var f in NamedFactors.Where(f => f.Name is not ("−1" or "0 (the gradient is zero)")))
                if (failing.All(c => Close(fitted(c), f.Value(c.Data, c.J) * exact(c), Math.Abs(fitted(c)) + Math.Abs(exact(c)))))
                    return (f.Name, c => f.Value(c.Data, c.J) * exact(c));
            double k = fitted(failing[0]) / exact(failing[0]);
            if (failing.All(c => Close(fitted(c), k * exact(c), Math.Abs(fitted(c)) + Math.Abs(exact(c)))))
                return (Num.Factor(k), c => k * exact(c));
            return null;
        }

        /// <summary>
        /// Columns that use another column's quantity: for every failing column j a column m ≠ j of the same sample whose
        /// sums Σdout and Σdout·xhat, gamma, or invStd, put in j's formula, explain j's error; named when one rule
        /// (m = j − Δ or m = j mod T) fits every failing column and the whole prediction explains the error.
        /// </summary>
        private Cause? Borrowed(List<DxColumn> columns)
        {
            var failingColumns = columns.Where(c => c.Failing).ToList();
            if (failingColumns.Count == 0 || failingColumns.Any(c => c.Data.D < 2)) return null;
            var kinds = new (string What, FindingKind Kind, Func<DxColumn, int, (double, double, double)> Predict)[]
            {
                ("the sums Σdout and Σdout·xhat", FindingKind.BorrowedSums, (c, m) => { var (mg, mgx) = c.SumsOf(m); return (1, -mg, -mgx); }),
                ("gamma", FindingKind.Unexplained, (c, m) => { double r = c.Data.Problem.Gamma[m] / c.Gamma; return (r, r * c.Eb, r * c.Ev); }),
                ("invStd", FindingKind.Unexplained, (c, m) => { double r = c.Data.Model.InvStd[m] / c.S; return (r, r * c.Eb, r * c.Ev); }),
            };
            foreach (var (what, kind, predict) in kinds)
            {
                var map = new List<(DxColumn Column, int M)>();
                foreach (var c in failingColumns)
                {
                    int best = -1;
                    double bestShare = double.NegativeInfinity;
                    for (int m = 0; m < c.Data.D; m++)
                    {
                        if (m == c.J) continue;
                        double share = Share([c], x => predict(x, m));
                        if (share > bestShare) (best, bestShare) = (m, share);
                    }
                    if (bestShare < ExplainedShare) break;
                    map.Add((c, best));
                }
                if (map.Count < failingColumns.Count) continue;
                string? rule = null;
                int delta = map[0].Column.J - map[0].M;
                if (map.All(t => t.Column.J - t.M == delta)) rule = delta > 0 ? $"column j − {delta}" : $"column j + {-delta}";
                else
                    foreach (int t in new[] { 2, 4, 8, 16, 32, 64, 128, 256, 512 })
                        if (map.All(x => x.M == x.Column.J % t)) { rule = $"column j mod {t}"; break; }
                if (rule is null) continue;
                double total = Share(columns, c =>
                {
                    var hit = map.FirstOrDefault(t => ReferenceEquals(t.Column, c));
                    return hit.Column is null ? (c.Alpha, c.Beta, c.Nu) : predict(c, hit.M);
                });
                if (total < ExplainedShare) continue;
                var shown = map.Select(t => t.Column.J).Distinct().Order().ToList();
                string words = kind == FindingKind.BorrowedSums
                    ? $"the failing columns (j = {Num.List(shown)}) use {what} of {rule} in their mean-path and variance-path terms instead of their own."
                    : $"the failing columns (j = {Num.List(shown)}) use the {what} of {rule} instead of their own.";
                return new Cause(kind == FindingKind.Unexplained ? FindingKind.BorrowedSums : kind, DxTerm.All, words, total);
            }
            return null;
        }

        /// <summary>
        /// dx = gamma·s'·(g − mean(g) − r^p·xhat·mean(g·xhat)) with s' = r·invStd: the implementation's invStd differs by r per
        /// column. Its var + eps is then q = (var + eps)/r²; name what q is, when that explains the error.
        /// </summary>
        private Cause InvStd(List<DxColumn> columns, int power)
        {
            var failingColumns = columns.Where(c => c.Failing).ToList();
            string how = power == 2 ? " (the variance-path term carries the cube of the invStd ratio: it is built from x − mean, or a recomputed xhat, with the same invStd)" : "";
            (double, double, double) With(DxColumn c, double r) => (r, r * c.Eb, Math.Pow(r, power + 1) * c.Ev);
            static double Q(DxColumn c) => (c.Var + c.Eps) / (c.Alpha * c.Alpha);
            Cause? cause = null;
            double epsLike = Median(failingColumns.Select(c => Q(c) - c.Var));
            if (epsLike > 0)
            {
                cause = Named(columns, FindingKind.EpsMismatch, DxTerm.All,
                    $"invStd differs: eps is not the forward's (dx behaves as if eps = {epsLike.ToString("G6", CultureInfo.InvariantCulture)}; the forward's eps is {Num.G(columns[0].Eps)} on {columns[0].Data.Origin}){how}.",
                    c => With(c, Math.Sqrt((c.Var + c.Eps) / (c.Var + epsLike))));
            }
            cause ??= Named(columns, FindingKind.UnbiasedVariance, DxTerm.All,
                $"invStd uses the unbiased variance (divisor N − 1) where the forward's biased variance (divisor N) belongs{how}.",
                c => With(c, c.N > 1 ? Math.Sqrt((c.Var + c.Eps) / (c.Var * c.N / (c.N - 1.0) + c.Eps)) : 1));
            cause ??= Named(columns, FindingKind.EpsOutsideSqrt, DxTerm.All,
                $"invStd is computed as 1/(sqrt(var) + eps): eps is added outside the square root{how}.",
                c => With(c, 1 / (c.S * (Math.Sqrt(c.Var) + c.Eps))));
            if (cause is not null)
            {
                _invStdRatio = (s, j) => columns.FirstOrDefault(c => ReferenceEquals(c.Data, s) && c.J == j)?.Alpha ?? double.NaN;
                _invStdKind = cause.Kind;
                _invStdWords = cause.Kind switch
                {
                    FindingKind.EpsMismatch => "eps is not the forward's",
                    FindingKind.UnbiasedVariance => "unbiased variance, divisor N − 1",
                    _ => "eps outside the sqrt",
                };
                return cause;
            }
            // A per-column ratio nothing above names: a fact, the cause is left to the growth re-runs.
            double lo = failingColumns.Min(c => c.Alpha), hi = failingColumns.Max(c => c.Alpha);
            _invStdRatio = (s, j) => columns.FirstOrDefault(c => ReferenceEquals(c.Data, s) && c.J == j)?.Alpha ?? double.NaN;
            _invStdKind = FindingKind.InvStdDiffers;
            _invStdWords = "invStd differs from the forward's";
            double share = Share(columns, c => With(c, c.Alpha));
            return new Cause(FindingKind.InvStdDiffers, DxTerm.All,
                $"in every failing column dx is the exact dx times a factor r that varies per column (r from {Num.Factor(lo)} to {Num.Factor(hi)}){how}, as a wrong gamma·invStd would give (this explains {Num.Share(share)} of the error), but no other eps, unbiased variance, eps outside the sqrt or other column's gamma or invStd gives those factors", -1);
        }

        private Cause? OutOfSpan(List<DxColumn> columns)
        {
            double worst = columns.Where(c => c.Failing).Max(c => c.Residual);
            bool rowMean = columns.All(c => c.Clean || (c.AugmentedResidual <= 1e-9 && Math.Abs(c.RowMeanCoefficient + 1) <= 1e-6));
            if (rowMean && _probe.CrossColumn)
                return new Cause(FindingKind.WrongAxis, DxTerm.MeanPath,
                    "a reduction over the wrong axis: the mean-path term averages dout over the features of each row (axis 1) instead of over the samples of each column (axis 0).", -1);
            var more = new List<(FindingKind, DxTerm, string)>();
            if (_probe.Diagonal)
            {
                string factor = _probe.DiagonalFactorRight
                    ? "the per-element factor is the Jacobian's diagonal entry"
                    : $"and the per-element factor is wrong too: it is not the Jacobian's diagonal gamma·invStd·(1 − 1/N − xhat_i²/N) (measured {Num.G(_probe.DiagonalMeasured)}, diagonal entry {Num.G(_probe.DiagonalExact)})";
                more.Add((FindingKind.CrossSampleTermsMissing, DxTerm.All,
                    $"Cross-sample terms are missing (measured by a probe): dx_i changes only with dout_i (the Jacobian was treated as diagonal), {factor}."));
            }
            if (_probe.CrossColumn)
                more.Add((FindingKind.WrongAxis, DxTerm.All, "A reduction runs over the wrong axis (measured by a probe): dx of one column changes with another column's dout."));
            return new Cause(FindingKind.NotOfThisForm, DxTerm.All,
                $"the error is not of this form: dx is not a combination of the direct, mean-path and variance-path terms (the three-term fit leaves a residual of {Num.G(worst)} in units of gamma·invStd·max|dout|).",
                -1, more.Count > 0 ? more : null);
        }

        private DxColumn FitColumn(int caseIndex, DoctorSample d, int j)
        {
            var p = d.Problem;
            int n = p.N, dd = p.D;
            var g = new double[n];
            var xh = new double[n];
            var e = new double[n];
            var allow = new double[n];
            var rowMean = new double[n];
            bool failingAll = true, clean = true;
            double mg = 0, mgx = 0;
            for (int i = 0; i < n; i++)
            {
                int k = i * dd + j;
                g[i] = p.Dout[k];
                xh[i] = d.Model.Xhat[k];
                e[i] = d.Actual.Dx[k] - d.Exact.Dx[k];
                allow[i] = d.Allowance(GradientName.Dx, k);
                bool fails = d.Fails(GradientName.Dx, k);
                failingAll &= fails;
                clean &= !fails;
                for (int jj = 0; jj < dd; jj++) rowMean[i] += p.Dout[i * dd + jj];
                rowMean[i] /= dd;
                mg += g[i] / n;
                mgx += g[i] * xh[i] / n;
            }
            var col = new DxColumn { Data = d, Case = caseIndex, J = j, G = g, Xh = xh, E = e, Allow = allow, Mg = mg, Mgx = mgx, Failing = failingAll, Clean = clean };
            double c = col.C;
            var basis = new[] { g.Select(v => c * v).ToArray(), Enumerable.Repeat(c, n).ToArray(), xh.Select(v => c * v).ToArray() };
            var (coef, residual) = LeastSquares(basis, e);
            double scale = Math.Abs(c) * g.Max(Math.Abs);
            col.Alpha = 1 + coef[0];
            col.Beta = col.Eb + coef[1];
            col.Nu = col.Ev + coef[2];
            col.Residual = scale > 0 ? residual / scale : residual;
            // The same fit with a fourth term c·rowmean(g): a mean taken over the row (the D features) instead of the column.
            var (coef4, residual4) = LeastSquares([.. basis, rowMean.Select(v => c * v).ToArray()], e);
            col.RowMeanCoefficient = coef4[3];
            col.AugmentedResidual = scale > 0 ? residual4 / scale : residual4;
            Fits.Add(new TermFit(caseIndex, j, n, col.Alpha, col.Beta, col.Nu, col.Eb, col.Ev, col.Residual));
            return col;
        }

        // ------------------------------------------------------------------------------------------------ why: by growth

        /// <summary>
        /// A cause from the controlled growth re-runs, when no term-level cause explained the error: growth like the
        /// square of the offset is the cancellation of E[x²] − E[x]²; like the offset, x − mean or the mean formed with too
        /// few digits; with N at fixed offset, an accumulation in lower precision.
        /// </summary>
        private static Cause? ExplainByGrowth(GradientName g, Growth withN, Growth withOffset, Cause? structural)
        {
            string name = Gradients.NameOf(g);
            string also = structural is { Kind: FindingKind.InvStdDiffers } ? $" ({structural.Words})" : "";
            if (withOffset.Grows && withOffset.Slope is >= 1.5 and <= 2.5)
                return new Cause(FindingKind.VarianceCancellation, DxTerm.All,
                    $"cancellation: the error grows like the square of the column's offset (∝ offset^{withOffset.Slope:0.0}, fit R² = {withOffset.Fit:0.00}), as a variance computed as E[x²] − E[x]² does; var was computed as E[x²] − E[x]² and cancelled{also}.", -1);
            if (withOffset.Grows && withOffset.Slope is >= 0.5 and < 1.5)
                return new Cause(FindingKind.Precision, DxTerm.All,
                    $"precision loss by cancellation: the error grows in proportion to the column's offset (∝ offset^{withOffset.Slope:0.0}, fit R² = {withOffset.Fit:0.00}), as when the mean or x − mean is formed with too few digits{also}.", -1);
            if (withN.Grows && !withOffset.Grows)
                return new Cause(FindingKind.Precision, DxTerm.All,
                    $"precision loss in an accumulation: {name}'s error grows with N (∝ N^{withN.Slope:0.0}, fit R² = {withN.Fit:0.00}) and not with the offset, as a sum carried in a lower precision than the result's does{also}.", -1);
            return null;
        }

        // ------------------------------------------------------------------------------------------------ why: dgamma and dbeta

        private Cause? ExplainSum(GradientName g)
        {
            var samples = FitSamples(g).Select(t => t.Sample).ToList();
            string name = Gradients.NameOf(g);
            // A candidate explains the gradient when its prediction leaves at most 1% of the error over every column of
            // every fit sample (a clean column must stay within rounding).
            double ShareOf(Func<DoctorSample, int, double> candidate)
            {
                double left = 0, total = 0;
                foreach (var d in samples)
                    for (int j = 0; j < d.D; j++)
                    {
                        double unit = d.Model.Unit(g, j);
                        if (!(unit > 0)) continue;
                        double a = d.Actual.Of(g)[j], e = d.Exact.Of(g)[j], p = candidate(d, j);
                        double rem = Sq((a - p) / unit), err = Sq((a - e) / unit), allow = Sq(d.Allowance(g, j) / unit);
                        if (!double.IsFinite(rem)) return double.NegativeInfinity;
                        if (!d.Fails(g, j))
                        {
                            if (rem > 4 * allow + 1e-300) return double.NegativeInfinity;
                            continue;
                        }
                        if (err > 100 * allow && rem > 0.01 * err) return double.NegativeInfinity;
                        left += rem;
                        total += err;
                    }
                return total > 0 ? 1 - Math.Sqrt(left / total) : double.NegativeInfinity;
            }
            Cause? Try(FindingKind kind, string words, Func<DoctorSample, int, double> candidate)
            {
                double share = ShareOf(candidate);
                return share >= ExplainedShare ? new Cause(kind, DxTerm.None, words, share) : null;
            }
            double Sum(DoctorSample d, int j, Func<int, double> term)
            {
                double s = 0;
                for (int i = 0; i < d.N; i++) s += term(i * d.D + j);
                return s;
            }
            double Exact(DoctorSample d, int j) => d.Exact.Of(g)[j];
            double Total(DoctorSample d) => Enumerable.Range(0, d.D).Sum(j => Exact(d, j));

            Cause? cause = null;
            if (g == GradientName.Dgamma)
            {
                cause = Try(FindingKind.DgammaUsesX, "dgamma sums dout·x where dout·xhat belongs.", (d, j) => Sum(d, j, k => d.Problem.Dout[k] * d.Problem.X[k]))
                        ?? Try(FindingKind.DgammaMissingInvStd, "dgamma sums dout·(x − mean) where dout·xhat belongs: the factor invStd is missing.", (d, j) => Sum(d, j, k => d.Problem.Dout[k] * (d.Problem.X[k] - d.Mean[j])))
                        ?? Try(FindingKind.DgammaUsesDout, "dgamma sums dout where dout·xhat belongs.", (d, j) => Sum(d, j, k => d.Problem.Dout[k]));
            }
            cause ??= Try(FindingKind.WrongAxis, $"a reduction over the wrong axis: {name} sums over every element (both axes) instead of over the samples of each column.", (d, _) => Total(d));
            if (cause is null && _probe.CrossColumnOf(g))
                cause = new Cause(FindingKind.WrongAxis, DxTerm.None, $"a reduction over the wrong axis: {name} of one column changes with another column's dout.", -1);
            if (cause is null && _invStdRatio is { } ratio && _invStdKind != FindingKind.InvStdDiffers)
                cause = Try(_invStdKind, $"{name} is off by the same factor r as dx's invStd: it sums dout·xhat with xhat recomputed from that invStd ({_invStdWords}).", (d, j) => ratio(d, j) * Exact(d, j));
            if (cause is null)
            {
                foreach (var f in NamedFactors.Where(f => !f.Name.StartsWith("0", StringComparison.Ordinal)))
                {
                    var c = Try(g == GradientName.Dgamma ? FindingKind.DgammaScaled : FindingKind.DbetaScaled, $"{name} is off by a factor of {f.Name}.", (d, j) => f.Value(d, j) * Exact(d, j));
                    if (c is null) continue;
                    cause = f.Name == "−1" ? c with { Kind = FindingKind.SignFlipped, Words = $"{name} has the wrong sign." } : c;
                    break;
                }
            }
            if (cause is null)
            {
                var failingOnes = samples.SelectMany(d => Enumerable.Range(0, d.D).Where(j => d.Fails(g, j) && Exact(d, j) != 0).Select(j => d.Actual.Of(g)[j] / Exact(d, j))).ToList();
                if (failingOnes.Count > 0)
                {
                    double k = Median(failingOnes);
                    bool some = samples.Any(d => Enumerable.Range(0, d.D).Any(j => !d.Fails(g, j)));
                    cause = Try(g == GradientName.Dgamma ? FindingKind.DgammaScaled : FindingKind.DbetaScaled,
                        $"{(some ? "in the columns that fail, " : "")}{name} is off by a factor of {Num.Factor(k)}.", (d, j) => d.Fails(g, j) ? k * Exact(d, j) : Exact(d, j));
                }
            }
            if (cause is null && _invStdRatio is { } r2)
            {
                var c = Try(FindingKind.InvStdDiffers, $"{name} is off by the same per-column factor as dx's invStd (xhat recomputed from it)", (d, j) => double.IsFinite(r2(d, j)) ? r2(d, j) * Exact(d, j) : double.NaN);
                if (c is not null) cause = c with { Share = -1 };
            }
            return cause;
        }
    }

    // ==================================================================================================== probes

    /// <summary>
    /// Two structural probes on one case, by linearity in dout: dout is changed at one element (row 0, column 0) and
    /// the change of every gradient is measured. The exact dx changes in every row of column 0 and in no other column;
    /// dgamma and dbeta change in column 0 only.
    /// </summary>
    private sealed class ProbeResult
    {
        public bool Diagonal { get; private init; }
        public bool CrossColumn { get; private init; }
        public bool DgammaCrossColumn { get; private init; }
        public bool DbetaCrossColumn { get; private init; }
        public double DiagonalMeasured { get; private init; }
        public double DiagonalExact { get; private init; }
        public bool DiagonalFactorRight { get; private init; }

        public bool CrossColumnOf(GradientName g) => g == GradientName.Dgamma ? DgammaCrossColumn : DbetaCrossColumn;

        public static ProbeResult Measure(IBatchNormBackward impl, DoctorSample d)
        {
            var p = d.Problem;
            int n = p.N, dd = p.D;
            double delta = 0;
            for (int i = 0; i < n; i++) delta = Math.Max(delta, Math.Abs(p.Dout[i * dd]));
            var dout = (double[])p.Dout.Clone();
            dout[0] += delta;
            var moved = impl.InItsPrecision(new BatchNormProblem(n, dd, p.X, p.Gamma, p.Beta, p.Eps, dout));
            delta = moved.Dout[0] - p.Dout[0];
            var after = impl.Run(moved);
            var modelAfter = ErrorModel.For(moved);
            // A change counts when it exceeds what rounding in the two runs may account for.
            double Noise(GradientName g, int k) => d.Allowance(g, k) + modelAfter.Allowance(g, k, d.U) + modelAfter.Allowance(g, k, ErrorModel.Float64Roundoff);
            bool Changed(GradientName g, int k) => !(Math.Abs(after.Of(g)[k] - d.Actual.Of(g)[k]) <= Noise(g, k));

            bool otherRows = Enumerable.Range(1, n - 1).Any(i => Changed(GradientName.Dx, i * dd));
            bool otherColumns = Enumerable.Range(0, n).Any(i => Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dx, i * dd + j)));
            double c = p.Gamma[0] * d.Model.InvStd[0];
            double xh = d.Model.Xhat[0];
            double exactDiagonal = c * (1 - 1.0 / n - xh * xh / n);
            double measured = (after.Dx[0] - d.Actual.Dx[0]) / delta;
            // The measured diagonal is an exact combination of the data up to rounding (~1e-13 relative here); 1e-6 leaves margin.
            return new ProbeResult
            {
                Diagonal = !otherRows,
                CrossColumn = otherColumns,
                DgammaCrossColumn = Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dgamma, j)),
                DbetaCrossColumn = Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dbeta, j)),
                DiagonalMeasured = measured,
                DiagonalExact = exactDiagonal,
                DiagonalFactorRight = Math.Abs(measured - exactDiagonal) <= (1e-6 + 1e3 * d.U * (n + 4 + d.Model.Kappa[0])) * Math.Abs(c),
            };
        }
    }

    /// <summary>Least squares of <paramref name="y"/> on the given basis vectors by modified Gram–Schmidt; returns the coefficients and the residual's max norm.</summary>
    internal static (double[] Coefficients, double Residual) LeastSquares(double[][] basis, double[] y)
    {
        int m = basis.Length, n = y.Length;
        var q = basis.Select(b => (double[])b.Clone()).ToArray();
        var r = new double[m, m];
        for (int a = 0; a < m; a++)
        {
            for (int b = 0; b < a; b++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += q[b][i] * q[a][i];
                r[b, a] = dot;
                for (int i = 0; i < n; i++) q[a][i] -= dot * q[b][i];
            }
            double norm = Math.Sqrt(q[a].Sum(v => v * v));
            r[a, a] = norm;
            if (norm > 0) for (int i = 0; i < n; i++) q[a][i] /= norm;
        }
        var res = (double[])y.Clone();
        var qty = new double[m];
        for (int a = 0; a < m; a++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += q[a][i] * res[i];
            qty[a] = dot;
            for (int i = 0; i < n; i++) res[i] -= dot * q[a][i];
        }
        var coef = new double[m];
        for (int a = m - 1; a >= 0; a--)
        {
            double s = qty[a];
            for (int b = a + 1; b < m; b++) s -= r[a, b] * coef[b];
            coef[a] = r[a, a] > 0 ? s / r[a, a] : 0;
        }
        return (coef, res.Length == 0 ? 0 : res.Max(Math.Abs));
    }
}
