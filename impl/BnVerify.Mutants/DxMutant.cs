using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// The pieces of the exact dx of one element, in the closed form of <see cref="AltSimplified"/>:
/// dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)), the sums over the element's column.
/// </summary>
/// <param name="N">Batch size.</param>
/// <param name="Gamma">gamma of the column.</param>
/// <param name="InvStd">1/sqrt(var + eps) of the column.</param>
/// <param name="Dout">dout of the element.</param>
/// <param name="Xhat">xhat of the element.</param>
/// <param name="SumDout">Σdout over the column (= dbeta).</param>
/// <param name="SumDoutXhat">Σ(dout·xhat) over the column (= dgamma).</param>
/// <param name="Row">The element's row i.</param>
/// <param name="Column">The element's column j.</param>
/// <param name="D">Columns of the batch.</param>
public readonly record struct DxTerms(int N, double Gamma, double InvStd, double Dout, double Xhat, double SumDout, double SumDoutXhat,
    int Row, int Column, int D)
{
    /// <summary>The exact dx of the element: (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)).</summary>
    public double Exact => Gamma * InvStd / N * (N * Dout - SumDout - Xhat * SumDoutXhat);
}

/// <summary>
/// A mutant of <see cref="AltSimplified"/> with its planted flaw declared for the mutation score (<see cref="IPlantedFlaw"/>,
/// never read by the doctor).
/// </summary>
/// <param name="id">The mutant's id.</param>
/// <param name="reason">What is wrong, in one line.</param>
/// <param name="plantedIn">The gradient the flaw is planted in.</param>
/// <param name="planted">The finding a correct diagnosis must name.</param>
/// <param name="kind">The kind of mistake it stands for ("shape boundary", "precision", …), shown in its source; null for a formula slip.</param>
public abstract class PlantedMutant(string id, string reason, GradientName plantedIn, FindingKind planted, string? kind = null)
    : BatchNormBackward<double>(BackwardInfo.Flawed(id, "this project: mutant of alt-simplified" + (kind is null ? "" : $" ({kind})"), reason, Family.Mutant)), IPlantedFlaw
{
    /// <inheritdoc />
    public GradientName PlantedIn => plantedIn;

    /// <inheritdoc />
    public FindingKind Planted => planted;
}

/// <summary>
/// A mutant whose one planted change is in dx's formula: alt-simplified's column sums (pass 1), then every element's dx
/// from <see cref="Dx"/>, which each mutant writes as the closed form with its one change.
/// </summary>
public abstract class DxMutant(string id, string reason, FindingKind planted, string? kind = null) : PlantedMutant(id, reason, GradientName.Dx, planted, kind)
{
    /// <summary>The mutant's dx of one element.</summary>
    protected abstract double Dx(DxTerms t);

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int n = cache.N, d = cache.D;
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        for (int k = 0; k < n * d; k++)
        {
            int j = k % d;
            dx[k] = Dx(new DxTerms(n, cache.Gamma[j], cache.InvStd[j], dout[k], cache.Xhat[k], dbeta[j], dgamma[j], k / d, j, d));
        }
    }
}

/// <summary>
/// A mutant whose planted change is only in the dgamma or dbeta it returns: alt-simplified's column sums and its right dx
/// (which uses the right sums), then <see cref="Replant"/> overwrites the returned sums with the mutant's.
/// </summary>
public abstract class ReturnedSumsMutant(string id, string reason, GradientName plantedIn, FindingKind planted) : PlantedMutant(id, reason, plantedIn, planted)
{
    /// <summary>Overwrites <paramref name="dgamma"/> or <paramref name="dbeta"/> (which hold the right sums) with the mutant's.</summary>
    protected abstract void Replant(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dgamma, Span<double> dbeta);

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
        Replant(cache, dout, dgamma, dbeta);
    }
}

/// <summary>
/// A mutant whose planted change is dx's prefactor invStd, recomputed from the cached variance and eps by
/// <see cref="InvStd"/>; the column sums and the rest of dx are alt-simplified's.
/// </summary>
public abstract class InvStdMutant(string id, string reason, FindingKind planted) : PlantedMutant(id, reason, GradientName.Dx, planted)
{
    /// <summary>The mutant's 1/sqrt(var + eps) of one column.</summary>
    protected abstract double InvStd(double var, double eps);

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        var invStd = new double[cache.D];
        for (int j = 0; j < cache.D; j++) invStd[j] = InvStd(cache.Var[j], cache.Eps);
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, invStd, dbeta, dgamma, dx);
    }
}

/// <summary>
/// A mutant whose planted change is the variance: <see cref="InvStd"/> recomputes invStd with the mutant's variance, xhat is
/// recomputed from it and the forward's mean, and alt-simplified's column sums and dx run with both.
/// </summary>
public abstract class VarianceMutant(string id, string reason, FindingKind planted, string? kind = null) : PlantedMutant(id, reason, GradientName.Dx, planted, kind)
{
    /// <summary>The mutant's invStd per column, 1/sqrt(var + eps) with its variance.</summary>
    protected abstract double[] InvStd(BatchNormCache<double> cache);

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var invStd = InvStd(cache);
        var xhat = new double[N * D];
        for (int k = 0; k < N * D; k++) xhat[k] = (cache.X[k] - cache.Mean[k % D]) * invStd[k % D];

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, cache.Gamma, invStd, dbeta, dgamma, dx);
    }
}
