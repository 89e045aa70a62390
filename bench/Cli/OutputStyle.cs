namespace BnVerify.Bench.Cli;

/// <summary>
/// How the commands lay out what they print. On a terminal (<see cref="Terminal"/>): colour, a progress bar for long runs,
/// and tables and paragraphs that follow the terminal's <see cref="Width"/>. Redirected to a file or a pipe, or under CI:
/// plain text in a fixed layout of at most <see cref="PlainWidth"/> columns, so a file reads the same on every machine.
/// It is passed in (never a process-wide setting), so a test renders any width it likes.
/// </summary>
/// <param name="Terminal">True for a terminal: colour and progress; false for plain text with no escape codes.</param>
/// <param name="Width">The width, in columns, that tables and paragraphs are fitted to.</param>
public sealed record OutputStyle(bool Terminal, int Width)
{
    /// <summary>The fixed width of redirected (plain) output.</summary>
    public const int PlainWidth = 120;

    /// <summary>The narrowest width honoured; a narrower terminal is laid out as if it had this many columns.</summary>
    public const int MinWidth = 20;

    /// <summary>Plain text of at most <see cref="PlainWidth"/> columns: redirected output, CI, and the tests' default.</summary>
    public static OutputStyle Plain { get; } = new(false, PlainWidth);

    /// <summary>A terminal <paramref name="width"/> columns wide (at least <see cref="MinWidth"/>).</summary>
    public static OutputStyle ForTerminal(int width) => new(true, Math.Max(MinWidth, width));

    /// <summary>
    /// The style for <paramref name="stdout"/>: a terminal of the console's width when it is the process's own console
    /// output, a terminal, and the environment does not say CI (<c>CI=true</c> or <c>CI=1</c>); <see cref="Plain"/> otherwise.
    /// </summary>
    public static OutputStyle Detect(TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        string? ci = Environment.GetEnvironmentVariable("CI");
        bool isCi = ci is not null && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
        return ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && !isCi ? ForTerminal(ConsoleWidth()) : Plain;
    }

    /// <summary>The console window's width; the <c>COLUMNS</c> variable, or 80, when the console does not say.</summary>
    private static int ConsoleWidth()
    {
        try
        {
            if (Console.WindowWidth > 0) return Console.WindowWidth;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            // No console to ask: fall through.
        }
        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : 80;
    }
}
