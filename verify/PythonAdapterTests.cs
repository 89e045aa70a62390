using BnVerify.Bench.Cli;
using BnVerify.Checking;
using BnVerify.External;
using Xunit;
using static BnVerify.Verify.ExternalTestSupport;

namespace BnVerify.Verify;

/// <summary>
/// The Python adapter (<c>adapters/python/bnverify_adapter.py</c>): it keeps the user's prints out of the protocol, calls
/// both signatures, works without numpy, and turns every way the user's code can fail into a clear error naming the
/// request (a NaN stays a wrong gradient).
/// </summary>
public sealed class PythonAdapterTests
{
    private static ExternalBackward StartUser(params string[] args) =>
        ExternalBackward.Start(Adapter([TestProgram("user_layers.py"), .. args]), Short);

    private static BatchNormProblem Case(int index) => ProblemSource.Default.Case(42, index);

    [Fact]
    public void Prints_and_raw_writes_to_standard_output_in_user_code_never_reach_the_protocol()
    {
        using var program = StartUser("--forward", "noisy_forward", "--backward", "noisy_backward");
        Assert.Equal("user_layers.noisy_backward", program.Info.Id);
        for (int c = 0; c < 10; c++)
        {
            var result = GradientChecker.Check(program, Case(c));
            Assert.True(result.Pass, result.Summary()); // dgamma comes back as (1, D): accepted
        }
    }

    [Fact]
    public void A_plain_backward_is_called_with_x_gamma_beta_eps_dout()
    {
        using var program = StartUser("--backward-plain", "plain", "--name", "my-plain");
        Assert.Equal("my-plain", program.Info.Id);
        Assert.Contains("plain(x, gamma, beta, eps, dout)", program.Greeting.Source, StringComparison.Ordinal);
        for (int c = 0; c < 10; c++) Assert.True(GradientChecker.Check(program, Case(c)).Pass);
    }

    [Fact]
    public void Without_numpy_the_user_code_gets_lists_and_the_greeting_says_so()
    {
        // python3 -S skips site-packages, where Debian's python3-numpy lives.
        using var program = ExternalBackward.Start(
            [Python, "-S", AdapterPath, TestProgram("user_layers.py"), "--backward-plain", "numpy_is_absent"], Short);
        Assert.Contains("nested lists (numpy cannot be imported)", program.Greeting.Source, StringComparison.Ordinal);
        for (int c = 0; c < 5; c++) Assert.True(GradientChecker.Check(program, Case(c)).Pass);
    }

    [Fact]
    public void A_NaN_from_user_code_is_a_wrong_gradient()
    {
        using var program = StartUser("--backward-plain", "nan_dx");
        var result = GradientChecker.Check(program, Case(0));
        Assert.False(result.Pass);
        Assert.Contains(result.Actual.Dx, double.IsNaN);
    }

    [Theory]
    [InlineData("unfinished", "could not compute request 1 (N = 3, D = 2); it reported: the backward returned None for dgamma")]
    [InlineData("raises", "could not compute request 1 (N = 3, D = 2); it reported: ZeroDivisionError: division by zero; its standard error ends: ")]
    [InlineData("transposed", "it reported: dx has shape (2, 3); (3, 2) expected")]
    [InlineData("string_dx", "real numbers expected")]
    [InlineData("exits", "exited with code 5 during request 1 (N = 3, D = 2)")]
    public void User_code_that_fails_is_an_error_naming_the_request(string function, string expected)
    {
        using var program = StartUser("--backward-plain", function);
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(ProblemGenerator.Generate(new Random(1), 3, 2)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_traceback_of_user_code_shows_in_the_error()
    {
        using var program = StartUser("--backward-plain", "raises");
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(Case(0)));
        Assert.Contains("return 1 / 0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--backward-plain", "nope" }, "user_layers.py has no function 'nope'; it defines: ")]
    [InlineData(new[] { "--backward", "plain" }, "error: give --forward and --backward (a cs231n pair), or --backward-plain")]
    [InlineData(new[] { "--forward", "noisy_forward", "--backward", "noisy_backward", "--backward-plain", "plain" }, "cannot be combined")]
    public void A_wrong_adapter_command_fails_before_the_greeting(string[] args, string expected)
    {
        string message = StartFails(Adapter([TestProgram("user_layers.py"), .. args]));
        Assert.Contains("before its greeting", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_user_file_fails_before_the_greeting()
    {
        string message = StartFails(Adapter(["/no/such/layers.py", "--backward-plain", "f"]));
        Assert.Contains("exited with code 1 before its greeting; its standard error ends: bnverify_adapter: no such file: /no/such/layers.py", message, StringComparison.Ordinal);
    }
}
