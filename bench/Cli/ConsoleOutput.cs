using System.Globalization;
using System.Text;
using Spectre.Console;

namespace BnVerify.Bench.Cli;

/// <summary>
/// Where the commands write their results, fitted to the <see cref="OutputStyle"/> passed in: tables, paragraphs and JSON
/// are laid out by <see cref="TextLayout"/> for <see cref="Width"/> columns, so no id or number is ever broken across
/// lines. Two kinds: <see cref="RichOutput"/> on a terminal (verdicts in colour, a progress bar for long runs) and
/// <see cref="PlainOutput"/> (plain text, no escape codes, no progress) when the output is redirected or under CI.
/// </summary>
internal abstract class ConsoleOutput
{
    protected ConsoleOutput(int width) => Width = width;

    /// <summary>Runs longer than this get a progress bar (rich output on a real terminal only).</summary>
    public static readonly TimeSpan ProgressDelay = TimeSpan.FromSeconds(1);

    /// <summary>Rich output on <paramref name="stdout"/> for a terminal style, plain text otherwise.</summary>
    public static ConsoleOutput Create(TextWriter stdout, OutputStyle style)
    {
        ArgumentNullException.ThrowIfNull(style);
        return style.Terminal ? new RichOutput(stdout, style.Width) : new PlainOutput(stdout, style.Width);
    }

    /// <summary>The width, in columns, that tables and paragraphs are fitted to.</summary>
    public int Width { get; }

    /// <summary>True for the terminal output.</summary>
    public abstract bool IsRich { get; }

    /// <summary>Writes one line of text exactly as it is (never wrapped, never interpreted as markup).</summary>
    public abstract void Line(string text = "");

    /// <summary>Writes prose wrapped at spaces to <see cref="Width"/>: the first line after <paramref name="indent"/>, the rest after <paramref name="hanging"/> (default: indent plus two spaces).</summary>
    public void Paragraph(string text, string indent = "", string? hanging = null)
    {
        foreach (var line in TextLayout.Wrap(text, Width, indent, hanging ?? indent + "  ")) Line(line);
    }

    /// <summary>Writes JSON text (a case file) with each line longer than <see cref="Width"/> broken after a comma between values: still valid JSON.</summary>
    public void Json(string text)
    {
        foreach (var line in text.TrimEnd('\n').Split('\n'))
            foreach (var part in TextLayout.WrapJson(line, Width)) Line(part);
    }

    /// <summary>
    /// Writes a table fitted to <see cref="Width"/> (see <see cref="TextLayout.Table"/>); when columns had to be left out,
    /// a line under it names them. Cells "pass" and "ok" are shown green and "FAIL" and "MISMATCH" red on a terminal.
    /// </summary>
    public void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = TextLayout.Table(columns, rows.ToList(), Width);
        foreach (var line in table.Lines) Write(line);
        if (table.Dropped.Count > 0)
            Paragraph($"(not shown in {Width} columns: {string.Join(", ", table.Dropped)}; a wider terminal shows them)");
    }

    /// <summary>Writes one laid-out line.</summary>
    protected abstract void Write(IReadOnlyList<TextSpan> line);

    /// <summary>
    /// Runs <paramref name="work"/>, which calls the action it is given once per finished unit (from any thread).
    /// On a terminal a progress bar appears if the work is still running after <see cref="ProgressDelay"/>.
    /// </summary>
    public abstract void RunWithProgress(string label, int total, Action<Action> work);

    /// <summary>The line under a table of errors that says what "inf" and "NaN" mean there.</summary>
    public const string NonFiniteLegend =
        "inf = the gradient's natural unit is 0 there (e.g. gamma = 0, so the exact dx is 0) but the value is not; NaN = the output holds NaN, was never written, or the implementation did not answer";

    /// <summary>A number in a table (three significant digits): "0", "1.23e-16", "inf", "NaN", or "-" when there is none.</summary>
    public static string Number(double? value) => value switch
    {
        null => "-",
        0 => "0",
        double v when double.IsNaN(v) => "NaN",
        double v when double.IsPositiveInfinity(v) => "inf",
        double v when double.IsNegativeInfinity(v) => "-inf",
        double v => v.ToString("0.00e+00", CultureInfo.InvariantCulture),
    };
}

/// <summary>Plain text: columns separated by two spaces, a dashed rule under the header, no trailing blanks, no escape codes.</summary>
internal sealed class PlainOutput(TextWriter stdout, int width) : ConsoleOutput(width)
{
    public override bool IsRich => false;

    public override void Line(string text = "") => stdout.WriteLine(text);

    protected override void Write(IReadOnlyList<TextSpan> line) => stdout.WriteLine(string.Concat(line.Select(s => s.Text)));

    public override void RunWithProgress(string label, int total, Action<Action> work) => work(() => { });
}

/// <summary>A terminal: the same layout as plain text, with bold headers and coloured verdicts, and a progress bar for long runs.</summary>
internal sealed class RichOutput : ConsoleOutput
{
    private readonly IAnsiConsole console;
    private readonly TextWriter stdout;
    private readonly bool ansi;
    private readonly bool progress;

    public RichOutput(TextWriter stdout, int width) : base(width)
    {
        this.stdout = stdout;
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(stdout),
        });
        console.Profile.Width = width;
        ansi = console.Profile.Capabilities.Ansi;
        // A progress bar redraws itself in place: only on the process's own terminal.
        progress = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
    }

    public override bool IsRich => true;

    // Straight to the writer, not through Spectre, which would break long lines at the terminal width: the lines are
    // already fitted, and a word longer than the width must stay whole.
    public override void Line(string text = "") => stdout.WriteLine(text);

    protected override void Write(IReadOnlyList<TextSpan> line)
    {
        var sb = new StringBuilder();
        foreach (var span in line)
        {
            string? code = !ansi || span.Text.Length == 0 ? null : span.Ink switch
            {
                Ink.Header => "1",
                Ink.Good => "32",
                Ink.Bad => "1;31",
                _ => null,
            };
            sb.Append(code is null ? span.Text : $"\u001b[{code}m{span.Text}\u001b[0m");
        }
        stdout.WriteLine(sb.ToString());
    }

    public override void RunWithProgress(string label, int total, Action<Action> work)
    {
        if (!progress)
        {
            work(() => { });
            return;
        }
        int done = 0;
        var task = Task.Run(() => work(() => Interlocked.Increment(ref done)));
        if (task.Wait(ProgressDelay))
        {
            task.GetAwaiter().GetResult();
            return;
        }
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
                while (!task.Wait(TimeSpan.FromMilliseconds(100)))
                {
                    bar.Value = Volatile.Read(ref done);
                    ctx.Refresh();
                }
                bar.Value = bar.MaxValue;
            });
        task.GetAwaiter().GetResult();
    }
}
