namespace BnVerify.Doctor;

/// <summary>What the derivation doctor found wrong with one gradient (machine-readable; the words are in <see cref="Finding.Sentence"/>).</summary>
public enum FindingKind
{
    /// <summary>The gradient agrees with the exact one within the rounding allowance on every case.</summary>
    NoFlawFound,

    /// <summary>dx: the direct term γ·invStd·dout is missing.</summary>
    DirectTermMissing,

    /// <summary>dx: the mean-path term −γ·invStd·mean(dout) is missing.</summary>
    MeanPathMissing,

    /// <summary>dx: the variance-path term −γ·invStd·xhat·mean(dout·xhat) is missing.</summary>
    VarianceTermMissing,

    /// <summary>dx: both cross-sample terms (mean path and variance path) are missing: the Jacobian was treated as diagonal.</summary>
    CrossSampleTermsMissing,

    /// <summary>A term (or the whole gradient) has the wrong sign.</summary>
    SignFlipped,

    /// <summary>dx: the variance-path coefficient uses Σdout where Σ(dout·xhat) belongs.</summary>
    VarianceCoefficientUsesSumG,

    /// <summary>dx: the mean-path coefficient uses Σ(dout·xhat) where Σdout belongs.</summary>
    MeanCoefficientUsesSumGXhat,

    /// <summary>dx: one term is off by a factor (named in the sentence, e.g. N).</summary>
    TermScaled,

    /// <summary>dx is off by the factor 1/gamma: gamma is missing.</summary>
    GammaMissing,

    /// <summary>dx is off by the factor sqrt(var + eps): invStd is missing.</summary>
    InvStdMissing,

    /// <summary>The whole gradient is off by a factor (named in the sentence).</summary>
    WrongScale,

    /// <summary>invStd differs from the forward's because a different eps is used (the eps it behaves as if using is estimated).</summary>
    EpsMismatch,

    /// <summary>invStd is computed as 1/(sqrt(var) + eps) instead of 1/sqrt(var + eps).</summary>
    EpsOutsideSqrt,

    /// <summary>invStd uses the unbiased variance (divisor N − 1) where the forward's biased one (divisor N) belongs.</summary>
    UnbiasedVariance,

    /// <summary>invStd uses a variance that lost digits to cancellation (E[x²] − E[x]² in low precision at a large offset).</summary>
    VarianceCancellation,

    /// <summary>invStd differs from the forward's in a way none of the named causes explains.</summary>
    InvStdDiffers,

    /// <summary>A reduction runs over the wrong axis: a column's gradient depends on other columns' dout.</summary>
    WrongAxis,

    /// <summary>dgamma sums dout·x where dout·xhat belongs.</summary>
    DgammaUsesX,

    /// <summary>dgamma sums dout·(x − mean) where dout·xhat belongs: invStd is missing.</summary>
    DgammaMissingInvStd,

    /// <summary>dgamma sums dout where dout·xhat belongs.</summary>
    DgammaUsesDout,

    /// <summary>dgamma is off by a factor (named in the sentence).</summary>
    DgammaScaled,

    /// <summary>dbeta is off by a factor (named in the sentence, e.g. 1/N).</summary>
    DbetaScaled,

    /// <summary>dx lies in the span of the three terms but its coefficients are wrong in a way none of the named findings explains.</summary>
    CoefficientsWrong,

    /// <summary>The error is not of the three-term form (the fit leaves a residual), or a dgamma/dbeta error none of the named findings explains.</summary>
    NotOfThisForm,

    /// <summary>The gradient holds NaN or infinity (where, and on which inputs, is in the sentence).</summary>
    NonFinite,

    /// <summary>
    /// The failure is confined to some elements or shapes, found by the doctor's controlled re-runs: only N = 1, only rows
    /// past some index, only some columns (past a boundary, in a vector tail), only where gamma = 0 or negative, only where
    /// the variance is 0. The pattern is in the sentence.
    /// </summary>
    Localized,

    /// <summary>dx has the wrong sign exactly in the columns where gamma &lt; 0: |gamma| is used where gamma belongs.</summary>
    GammaSign,

    /// <summary>
    /// Precision loss: an error of rounding size for a lower precision that grows with N (an accumulation) or with the
    /// column's offset (cancellation in x − mean or in the mean), measured by controlled re-runs.
    /// </summary>
    Precision,

    /// <summary>dx of some columns uses another column's sums Σdout and Σdout·xhat (the column is named in the sentence).</summary>
    BorrowedSums,

    /// <summary>The gradient is wrong but no named cause explains at least 99% of its error: the sentence gives the facts only.</summary>
    Unexplained,
}

/// <summary>Which dx term a finding is about.</summary>
public enum DxTerm
{
    /// <summary>Not about one term (a whole-gradient finding, or dgamma/dbeta).</summary>
    None,

    /// <summary>γ·invStd·dout.</summary>
    Direct,

    /// <summary>−γ·invStd·mean(dout), constant down the column.</summary>
    MeanPath,

    /// <summary>−γ·invStd·xhat·mean(dout·xhat), proportional to xhat.</summary>
    VariancePath,

    /// <summary>Every term (the whole dx).</summary>
    All,
}

/// <summary>One finding: which gradient, what kind, which dx term, and a plain-words sentence.</summary>
/// <param name="Gradient">dx, dgamma or dbeta.</param>
/// <param name="Kind">The machine-readable finding.</param>
/// <param name="Term">The dx term it concerns (<see cref="DxTerm.None"/> otherwise).</param>
/// <param name="Sentence">What is wrong, in plain words.</param>
public sealed record Finding(GradientName Gradient, FindingKind Kind, DxTerm Term, string Sentence);

/// <summary>
/// The least-squares fit of one column of one case: the implementation's dx written as
/// γ·invStd·(Direct·g + MeanPath·1 + VariancePath·xhat) with g = dout; the exact gradient has Direct = 1,
/// MeanPath = −mean(g), VariancePath = −mean(g·xhat).
/// </summary>
/// <param name="Case">Index of the doctor's random case.</param>
/// <param name="Column">Column j.</param>
/// <param name="N">Rows of that case.</param>
/// <param name="Direct">Fitted coefficient of γ·invStd·g (exact: 1).</param>
/// <param name="MeanPath">Fitted coefficient of γ·invStd (exact: −mean(g)).</param>
/// <param name="VariancePath">Fitted coefficient of γ·invStd·xhat (exact: −mean(g·xhat)).</param>
/// <param name="ExactMeanPath">−mean(g) of this column.</param>
/// <param name="ExactVariancePath">−mean(g·xhat) of this column.</param>
/// <param name="Residual">What the fit leaves, max-norm, in units of γ·invStd·max|g| (0 up to rounding when the error is of the three-term form).</param>
public sealed record TermFit(int Case, int Column, int N, double Direct, double MeanPath, double VariancePath,
    double ExactMeanPath, double ExactVariancePath, double Residual);

/// <summary>
/// The doctor's verdict on one gradient: its findings (one <see cref="FindingKind.NoFlawFound"/> when clean), the
/// largest error seen, and the plain facts it observed (where the failures are, how large, how they grow), which are
/// reported before any cause.
/// </summary>
/// <param name="Gradient">dx, dgamma or dbeta.</param>
/// <param name="Findings">What is wrong (never empty): observed patterns (<see cref="FindingKind.Localized"/>, <see cref="FindingKind.NonFinite"/>) first, then a named cause or <see cref="FindingKind.Unexplained"/>.</param>
/// <param name="MaxError">Largest error over the doctor's cases and the failing ones, in the checker's natural unit (see <see cref="Checking.ErrorModel"/>).</param>
/// <param name="Facts">What was observed besides the findings, one sentence each (empty when clean).</param>
public sealed record GradientDiagnosis(GradientName Gradient, IReadOnlyList<Finding> Findings, double MaxError, IReadOnlyList<string>? Facts = null)
{
    /// <summary>True when the gradient was found clean.</summary>
    public bool Clean => Findings.All(f => f.Kind == FindingKind.NoFlawFound);

    /// <summary>Observed patterns, then the facts, then the cause (or "cause not identified"), joined.</summary>
    public string Sentence
    {
        get
        {
            var observed = Findings.Where(f => f.Kind is FindingKind.NonFinite or FindingKind.Localized).Select(f => f.Sentence);
            var rest = Findings.Where(f => f.Kind is not (FindingKind.NonFinite or FindingKind.Localized)).Select(f => f.Sentence);
            return string.Join(" ", observed.Concat(Facts ?? []).Concat(rest).Select(Capitalized));
        }
    }

    private static string Capitalized(string s) => s.Length > 0 && char.IsLower(s[0]) ? char.ToUpperInvariant(s[0]) + s[1..] : s;
}

/// <summary>
/// The derivation doctor's diagnosis of one implementation, computed from its measured error on the doctor's own
/// random cases (never from the implementation's declared reason).
/// </summary>
/// <param name="Id">The implementation's id.</param>
/// <param name="Seed">Seed of the doctor's cases.</param>
/// <param name="Cases">How many cases were measured.</param>
/// <param name="Gradients">One diagnosis per gradient, in the order dx, dgamma, dbeta.</param>
/// <param name="DxFit">The three-term fit of dx, one row per column of every case.</param>
public sealed record Diagnosis(string Id, int Seed, int Cases, IReadOnlyList<GradientDiagnosis> Gradients, IReadOnlyList<TermFit> DxFit)
{
    /// <summary>True when some gradient has a finding other than <see cref="FindingKind.NoFlawFound"/>.</summary>
    public bool FlawFound => Gradients.Any(g => !g.Clean);

    /// <summary>Every finding of every gradient.</summary>
    public IEnumerable<Finding> Findings => Gradients.SelectMany(g => g.Findings);

    /// <summary>True when some finding has kind <paramref name="kind"/> (and, when given, concerns <paramref name="gradient"/>).</summary>
    public bool Names(FindingKind kind, GradientName? gradient = null) =>
        Findings.Any(f => f.Kind == kind && (gradient is null || f.Gradient == gradient));

    /// <summary>The diagnosis of gradient <paramref name="g"/>.</summary>
    public GradientDiagnosis Of(GradientName g) => Gradients.First(d => d.Gradient == g);

    /// <summary>"no flaw found", or one line per flawed gradient: "dx: ...".</summary>
    public string Summary()
    {
        if (!FlawFound) return "no flaw found (dx, dgamma and dbeta agree with the exact gradient within rounding on every case)";
        return string.Join(Environment.NewLine, Gradients.Where(g => !g.Clean).Select(g => $"{BnVerify.Gradients.NameOf(g.Gradient)}: {g.Sentence}"));
    }

    /// <summary>The kinds found, e.g. "dx:MeanPathMissing, dbeta:DbetaScaled", or "NoFlawFound".</summary>
    public string KindsText() => FlawFound
        ? string.Join(", ", Findings.Where(f => f.Kind != FindingKind.NoFlawFound).Select(f => $"{BnVerify.Gradients.NameOf(f.Gradient)}:{f.Kind}"))
        : nameof(FindingKind.NoFlawFound);
}
