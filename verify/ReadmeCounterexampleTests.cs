using System.Globalization;
using System.Text.RegularExpressions;
using BnVerify.Bench;
using BnVerify.Cases;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// README.md's table of each flawed version's smallest counterexample cannot drift: each row is what
/// <c>check --impl ID --seed 1</c> (with <c>--layout nchw</c> for a spatial implementation) prints today, value for
/// value, and every row's gamma, beta and eps are round: gamma 1, beta 0, eps a power of ten.
/// </summary>
public sealed partial class ReadmeCounterexampleTests
{
    /// <summary>The rows of the table: id, shape, and the cells of x, dout, gamma, beta, eps.</summary>
    public static TheoryData<string> Rows
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var row in TableRows()) data.Add(row[0]);
            return data;
        }
    }

    [Fact]
    public void The_table_lists_every_flawed_documented_version()
    {
        var listed = TableRows().Select(r => r[0]).ToHashSet();
        var flawed = BuiltIn.Implementations.All
            .Where(i => i.Info.Declared == Verdict.Flawed && i.Info.Family != Family.Mutant && i.ElementType == typeof(double))
            .Select(i => i.Info.Id);
        Assert.All(flawed, id => Assert.Contains(id, listed));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Each_row_is_the_counterexample_check_prints_with_round_gamma_beta_and_eps(string id)
    {
        var row = TableRows().Single(r => r[0] == id);
        bool spatial = BuiltIn.Implementations.Get(id).Layout == Layout.NCHW;
        string[] args = spatial ? ["check", "--impl", id, "--seed", "1", "--layout", "nchw"] : ["check", "--impl", id, "--seed", "1"];
        var run = CliFixture.Run(args);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr); // declared flawed, found flawed
        var lines = run.Stdout.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith($"{id}: smallest failing case", StringComparison.Ordinal));
        Assert.True(header >= 0, run.Stdout);
        int start = Array.IndexOf(lines, "{", header), end = Array.IndexOf(lines, "}", start);
        var shrunk = CaseFile.FromJson(string.Join('\n', lines[start..(end + 1)]), "check output").Problem;

        Assert.Equal(row[1], shrunk.ShapeText.Replace('x', '×'));
        Assert.Equal(Numbers(row[2]), Canonical(shrunk, shrunk.X));
        Assert.Equal(Numbers(row[3]), Canonical(shrunk, shrunk.Dout));
        Assert.Equal(Numbers(row[4]), shrunk.Gamma);
        Assert.Equal(Numbers(row[5]), shrunk.Beta);
        Assert.Equal(Numbers(row[6])[0], shrunk.Eps);
        Assert.All(shrunk.Gamma, g => Assert.Equal(1.0, g));
        Assert.All(shrunk.Beta, b => Assert.Equal(0.0, b));
        Assert.Equal(Math.Round(Math.Log10(shrunk.Eps)), Math.Log10(shrunk.Eps), 12);
    }

    /// <summary>x or dout in the order the case file nests them (rows for N×D, the layout's nesting for a spatial case).</summary>
    private static double[] Canonical(BatchNormProblem p, double[] canonical) =>
        p.IsSpatial ? Layouts.FromCanonical<double>(canonical, p.Shape, p.Layout) : canonical;

    private static double[] Numbers(string cell) =>
        NumberPattern().Matches(cell.Replace('−', '-')).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();

    private static IEnumerable<string[]> TableRows()
    {
        var lines = File.ReadAllLines(Path.Combine(ArchitectureTests.RepositoryRoot(), "README.md"));
        int header = Array.FindIndex(lines, l => l.StartsWith("| id | shrunk to | x | dout | gamma | beta | eps |", StringComparison.Ordinal));
        Assert.True(header >= 0, "README.md has no counterexample table");
        for (int k = header + 2; k < lines.Length && lines[k].StartsWith('|'); k++)
            yield return lines[k].Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray();
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE]-?\d+)?")]
    private static partial Regex NumberPattern();
}
