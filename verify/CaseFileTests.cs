using BnVerify.Cases;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Case files read and written (impl/BnVerify/Cases), beside the command-line refusals of <see cref="CliBadInputTests"/>:
/// what each spatial refusal says, the defaults a file may leave out, the parser's own words kept in a JSON error, and the
/// exact text <see cref="CaseWriter"/> gives a person to read (one row, plane or image row per line). Written for the
/// survivors of the Stryker scope <c>cases</c> (README, "Mutation testing of the checker").
/// </summary>
public sealed class CaseFileTests
{
    private const string SpatialHead =
        "{\"format\": \"bnverify-case/1\", \"name\": \"s\", \"layout\": \"NCHW\", \"eps\": 1e-5, \"gamma\": [1, 1], \"beta\": [0, 0], ";

    private static CaseFormatException Refused(string json) =>
        Assert.Throws<CaseFormatException>(() => CaseFile.FromJson(json, "c.json"));

    [Fact]
    public void A_ragged_spatial_list_and_one_that_disagrees_with_x_are_told_apart()
    {
        var ragged = Refused(SpatialHead + "\"x\": [[[[1, 2]], [[3]]]], \"dout\": [[[[1, 2]], [[3, 4]]]]}");
        Assert.Equal("x[0][1][0]", ragged.Element);
        Assert.Equal("is ragged: 1 values where the first list of this level has 2", ragged.Problem);

        var disagrees = Refused(SpatialHead + "\"x\": [[[[1, 2]], [[3, 4]]]], \"dout\": [[[[1, 2, 5]], [[3, 4, 6]]]]}");
        Assert.Equal("dout[0][0][0]", disagrees.Element);
        Assert.Equal("has 3 values but x has 2 at this level", disagrees.Problem);
    }

    [Theory]
    [InlineData("\"x\": [], \"dout\": []}", "x", "is empty (N = 0)")]
    [InlineData("\"x\": [[]], \"dout\": [[]]}", "x[0]", "is empty (C or H = 0)")]
    [InlineData("\"x\": [[[[1, 2]], [[3, 4]]]], \"dout\": [[[[1, 2]], [[]]]]}", "dout[0][1][0]", "is empty (W or C = 0)")]
    public void An_empty_spatial_axis_is_refused_naming_the_axis(string rest, string element, string problem)
    {
        var e = Refused(SpatialHead + rest);
        Assert.Equal(element, e.Element);
        Assert.Equal(problem, e.Problem);
    }

    [Theory]
    [InlineData("NCHW")]
    [InlineData(null)]
    public void Expected_that_is_not_an_object_is_refused_in_either_layout(string? layout)
    {
        string json = layout is null
            ? "{\"format\": \"bnverify-case/1\", \"name\": \"e\", \"eps\": 1e-5, \"x\": [[1], [2]], \"gamma\": [1], \"beta\": [0], \"dout\": [[1], [0]], \"expected\": 5}"
            : SpatialHead + "\"x\": [[[[1, 2]], [[3, 4]]]], \"dout\": [[[[1, 2]], [[3, 4]]]], \"expected\": [1]}";
        var e = Refused(json);
        Assert.Equal("expected", e.Element);
        Assert.Equal("must be an object", e.Problem);
    }

    [Fact]
    public void A_file_without_source_has_an_empty_source_and_one_with_expected_null_has_no_expected_values()
    {
        var c = CaseFile.FromJson("{\"format\": \"bnverify-case/1\", \"name\": \"n\", \"eps\": 0.5, \"x\": [[1], [2]], \"gamma\": [1], \"beta\": [0], \"dout\": [[1], [0]], \"expected\": null}", "n.json");
        Assert.Equal("", c.Source);
        Assert.Null(c.Expected);
        Assert.Null(c.ExpectedOut);
        Assert.Equal("n.json", c.Path);
    }

    [Fact]
    public void Json_that_does_not_parse_keeps_the_parsers_own_words_without_its_position_jargon()
    {
        var e = Refused("{\n  \"format\": \"bnverify-case/1\",\n  oops\n}");
        Assert.Null(e.Element);
        // System.Text.Json's words for this error, cut before its " LineNumber: ..." tail, which is said as (line, character).
        Assert.StartsWith("is not JSON (line 3, character 3): '", e.Problem, StringComparison.Ordinal);
        Assert.Contains("is an invalid start of a property name", e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_2D_case_is_written_one_row_per_line_and_reads_back_the_same()
    {
        var p = BatchNormProblem.FromRows([[1, 2], [3, 4.5]], [1, -0.5], [0, 0.25], 1e-5, [[0.1, -1], [2, 3]]);
        var expected = new Gradients(2, 2, [0, 0.5, -0.0, 1e-20], [1, 2], [3, 4]);
        AssertWrittenAs("two-by-two", p, expected,
            """
            {
              "format": "bnverify-case/1",
              "name": "two-by-two",
              "source": "hand",
              "eps": 1E-05,
              "x": [
                [1, 2],
                [3, 4.5]
              ],
              "gamma": [1, -0.5],
              "beta": [0, 0.25],
              "dout": [
                [0.1, -1],
                [2, 3]
              ],
              "expected": {
                "dx": [
                  [0, 0.5],
                  [-0, 1E-20]
                ],
                "dgamma": [1, 2],
                "dbeta": [3, 4]
              }
            }

            """);
    }

    [Fact]
    public void A_spatial_case_is_written_one_plane_per_line_in_its_layout_and_reads_back_the_same()
    {
        // N = 2 images, C = 2 channels of 1×2 planes; x[n][c][0][w] = 10n + 2c + w.
        var s = new SpatialShape(2, 2, 1, 2);
        double[] x = [0, 1, 2, 3, 10, 11, 12, 13];
        var p = BatchNormProblem.Spatial(s, Layout.NCHW, x, [1, 2], [0, 0], 0.5, [1, 0, 0, 1, -1, 0, 0, -1]);
        var expected = new Gradients(p.N, p.D, Layouts.ToCanonical<double>([8, 7, 6, 5, 4, 3, 2, 1], s, Layout.NCHW), [1, 2], [3, 4]);
        AssertWrittenAs("planes", p, expected,
            """
            {
              "format": "bnverify-case/1",
              "name": "planes",
              "layout": "NCHW",
              "source": "hand",
              "eps": 0.5,
              "x": [
                [
                  [[0, 1]],
                  [[2, 3]]
                ],
                [
                  [[10, 11]],
                  [[12, 13]]
                ]
              ],
              "gamma": [1, 2],
              "beta": [0, 0],
              "dout": [
                [
                  [[1, 0]],
                  [[0, 1]]
                ],
                [
                  [[-1, 0]],
                  [[0, -1]]
                ]
              ],
              "expected": {
                "dx": [
                  [
                    [[8, 7]],
                    [[6, 5]]
                  ],
                  [
                    [[4, 3]],
                    [[2, 1]]
                  ]
                ],
                "dgamma": [1, 2],
                "dbeta": [3, 4]
              }
            }

            """);
    }

    /// <summary>The writer gives exactly <paramref name="text"/>, and reading it back gives the same problem and expected values.</summary>
    private static void AssertWrittenAs(string name, BatchNormProblem p, Gradients expected, string text)
    {
        string json = CaseWriter.ToJson(name, "hand", p, expected);
        Assert.Equal(text.ReplaceLineEndings("\n"), json);
        var back = CaseFile.FromJson(json, "w.json");
        Assert.Equal(p.Layout, back.Problem.Layout);
        Assert.Equal(p.X.ToArray(), back.Problem.X.ToArray());
        Assert.Equal(p.Dout.ToArray(), back.Problem.Dout.ToArray());
        Assert.Equal(expected.Dx, back.Expected!.Dx);
        Assert.Equal(expected.Dgamma, back.Expected.Dgamma);
        Assert.Equal(expected.Dbeta, back.Expected.Dbeta);
    }
}
