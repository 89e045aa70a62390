using System.Globalization;
using Spectre.Console;

namespace BnVerify.Bench.Cli;

/// <summary>How a table column is aligned.</summary>
internal enum Align
{
    Left,
    Right,
}

/// <summary>A table column: header text and alignment.</summary>
internal sealed record Column(string Header, Align Align = Align.Left);

/// <summary>
/// Where the commands write their results. Two kinds: <see cref="RichOutput"/> (Spectre.Console tables, colour and a
/// progress bar) on an interactive terminal, and <see cref="PlainOutput"/> (aligned plain text, no escape codes, no
/// progress) when the output is redirected, when <c>CI=true</c>, or when a test passes its own writer.
/// </summary>
internal abstract class ConsoleOutput
{
    /// <summary>Runs longer than this get a progress bar (rich output only).</summary>
    public static readonly TimeSpan ProgressDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True when <paramref name="stdout"/> is the process's own console output, that output is a terminal, and the
    /// environment does not say CI (<c>CI=true</c> or <c>CI=1</c>).
    /// </summary>
    public static bool IsInteractive(TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        string? ci = Environment.GetEnvironmentVariable("CI");
        bool isCi = ci is not null && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
        return ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && !isCi;
    }

    /// <summary>Rich output on <paramref name="stdout"/> when <paramref name="rich"/>, plain text otherwise.</summary>
    public static ConsoleOutput Create(TextWriter stdout, bool rich) => rich ? new RichOutput(stdout) : new PlainOutput(stdout);

    /// <summary>True for the Spectre.Console terminal output.</summary>
    public abstract bool IsRich { get; }

    /// <summary>Writes one line of text as it is (never interpreted as markup).</summary>
    public abstract void Line(string text = "");

    /// <summary>Writes a table. Cells "pass", "ok", "correct" are shown green and "FAIL", "MISMATCH" red on a terminal.</summary>
    public abstract void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<string>> rows);

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

/// <summary>Aligned plain text: columns separated by two spaces, a dashed rule under the header, no trailing blanks.</summary>
internal sealed class PlainOutput(TextWriter stdout) : ConsoleOutput
{
    public override bool IsRich => false;

    public override void Line(string text = "") => stdout.WriteLine(text);

    public override void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = columns.Select((c, k) => Math.Max(c.Header.Length, all.Count == 0 ? 0 : all.Max(r => r[k].Length))).ToArray();
        // A column that is empty in every row (and so only its header is printed) is still shown, so the layout is stable.
        stdout.WriteLine(Format(columns, columns.Select(c => c.Header).ToList(), widths));
        stdout.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in all) stdout.WriteLine(Format(columns, row, widths));
    }

    public override void RunWithProgress(string label, int total, Action<Action> work) => work(() => { });

    private static string Format(IReadOnlyList<Column> columns, IReadOnlyList<string> cells, int[] widths)
    {
        var parts = new string[columns.Count];
        for (int k = 0; k < columns.Count; k++)
            parts[k] = columns[k].Align == Align.Right ? cells[k].PadLeft(widths[k]) : cells[k].PadRight(widths[k]);
        return string.Join("  ", parts).TrimEnd();
    }
}

/// <summary>Spectre.Console on a terminal: a bordered table with coloured verdicts, and a progress bar for long runs.</summary>
internal sealed class RichOutput : ConsoleOutput
{
    private readonly IAnsiConsole console;
    private readonly TextWriter stdout;

    public RichOutput(TextWriter stdout)
    {
        this.stdout = stdout;
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(stdout),
        });
    }

    public override bool IsRich => true;

    // Straight to the writer, not through Spectre, which would break long lines at the terminal width: a printed case
    // file must stay valid JSON when copied from the terminal.
    public override void Line(string text = "") => stdout.WriteLine(text);

    public override void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            var column = new TableColumn(new Markup($"[bold]{Markup.Escape(c.Header)}[/]"));
            if (c.Align == Align.Right) column.RightAligned();
            table.AddColumn(column);
        }
        foreach (var row in rows) table.AddRow(row.Select(Cell).ToArray());
        console.Write(table);
    }

    public override void RunWithProgress(string label, int total, Action<Action> work)
    {
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

    private static Markup Cell(string text) => text switch
    {
        "pass" or "ok" => new Markup($"[green]{text}[/]"),
        "FAIL" or "MISMATCH" => new Markup($"[bold red]{text}[/]"),
        _ => new Markup(Markup.Escape(text)),
    };
}
