namespace BnVerify.Bench.Cli;
internal static class CasesCommand
{
    public static System.CommandLine.Command Create(CliContext context) => new("cases");
}
