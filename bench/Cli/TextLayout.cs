using System.Text;

namespace BnVerify.Bench.Cli;

/// <summary>How a table column is aligned.</summary>
internal enum Align
{
    Left,
    Right,
}

/// <summary>What a column gives up when the table is wider than the output (<see cref="TextLayout.Table"/>).</summary>
internal enum Fit
{
    /// <summary>Always shown, its cells never broken: ids, numbers, verdicts.</summary>
    Keep,

    /// <summary>Shown when there is room; dropped when the table does not fit (lowest <see cref="Column.Priority"/> first), and named under it.</summary>
    Drop,

    /// <summary>Free text (a diagnosis, a source): wrapped at spaces inside its column, or stacked under its row when the column would be too narrow.</summary>
    Wrap,
}

/// <summary>A table column: header text, alignment, and what it gives up when the table does not fit.</summary>
/// <param name="Header">The header; one with spaces may be set on two lines to narrow its column.</param>
/// <param name="Align">Alignment of the cells.</param>
/// <param name="Fit">What the column gives up when the table is too wide.</param>
/// <param name="Priority">For <see cref="Fit.Drop"/>: the lowest is dropped first (ties: the rightmost).</param>
internal sealed record Column(string Header, Align Align = Align.Left, Fit Fit = Fit.Keep, int Priority = 0);

/// <summary>How a piece of a rendered line is shown on a terminal: as is, as a header, or as a good or bad verdict.</summary>
internal enum Ink
{
    Plain,
    Header,
    Good,
    Bad,
}

/// <summary>A piece of a rendered line.</summary>
internal readonly record struct TextSpan(string Text, Ink Ink = Ink.Plain);

/// <summary>A table laid out for a width: its lines, and the headers of the columns left out for lack of room.</summary>
internal sealed record RenderedTable(IReadOnlyList<IReadOnlyList<TextSpan>> Lines, IReadOnlyList<string> Dropped);

/// <summary>
/// The one place that fits text to a width, for every command and both kinds of output. Lines break only at spaces, so an
/// id or a number is never split across lines; a word longer than the width is left whole on a line of its own.
/// A table that does not fit first sets headers with spaces on two lines, then drops its <see cref="Fit.Drop"/> columns,
/// wraps a <see cref="Fit.Wrap"/> column at words in the room left (or, with less than <see cref="MinWrapWidth"/>
/// columns left, stacks it under each row), and as a last resort splits the remaining columns into panels that each
/// repeat the first column (a column too wide to stand beside the first one is stacked under the rows too).
/// </summary>
internal static class TextLayout
{
    /// <summary>Spaces between two columns.</summary>
    public const int Gap = 2;

    /// <summary>A free-text column narrower than this is stacked under its rows instead (a diagnosis in a narrower column runs to a dozen lines).</summary>
    public const int MinWrapWidth = 48;

    private const string StackIndent = "    ";

    /// <summary>Lays out <paramref name="rows"/> under <paramref name="columns"/> in at most <paramref name="width"/> columns.</summary>
    public static RenderedTable Table(IReadOnlyList<Column> columns, IReadOnlyList<IReadOnlyList<string>> rows, int width)
    {
        int n = columns.Count;
        foreach (var row in rows)
            if (row.Count != n) throw new ArgumentException($"a row has {row.Count} cells for {n} columns", nameof(rows));
        var header = columns.Select(c => new[] { c.Header }).ToArray();
        var cells = Enumerable.Range(0, n).Select(k => rows.Count == 0 ? 0 : rows.Max(r => r[k].Length)).ToArray();
        var widths = Enumerable.Range(0, n).Select(k => Math.Max(header[k][0].Length, cells[k])).ToArray();
        int Span(IEnumerable<int> ks)
        {
            var list = ks.ToList();
            return list.Sum(k => widths[k]) + Gap * Math.Max(0, list.Count - 1);
        }

        var all = Enumerable.Range(0, n).ToList();
        var fixedColumns = all.Where(k => columns[k].Fit != Fit.Wrap).ToList();
        var wrapped = all.Where(k => columns[k].Fit == Fit.Wrap).ToList();
        var dropped = new List<int>();
        var stacked = new List<int>();
        if (Span(all) > width)
        {
            // 1. Headers on two lines where that narrows a column, if the fixed columns alone do not fit.
            if (Span(fixedColumns) > width)
            {
                foreach (int k in fixedColumns)
                {
                    if (SplitHeader(columns[k].Header) is { } two && Math.Max(two.Max(h => h.Length), cells[k]) < widths[k])
                    {
                        header[k] = two;
                        widths[k] = Math.Max(two.Max(h => h.Length), cells[k]);
                    }
                }
            }
            // 2. The droppable columns, least important first, until the fixed columns fit.
            while (Span(fixedColumns) > width && fixedColumns.Where(k => columns[k].Fit == Fit.Drop).ToList() is { Count: > 0 } candidates)
            {
                int drop = candidates.OrderBy(k => columns[k].Priority).ThenByDescending(k => k).First();
                fixedColumns.Remove(drop);
                dropped.Add(drop);
            }
            // 3. Free text in the room left, wrapped at words, or under its row when that room is too narrow.
            var inline = new List<int>(fixedColumns);
            foreach (int k in wrapped)
            {
                int used = Span(inline);
                int room = width - used - (inline.Count > 0 ? Gap : 0);
                int longestWord = rows.Count == 0 ? 0 : rows.Max(r => LongestWord(r[k]));
                int min = Math.Min(widths[k], Math.Max(MinWrapWidth, Math.Max(columns[k].Header.Length, longestWord)));
                if (room >= min)
                {
                    widths[k] = Math.Min(widths[k], room);
                    inline.Add(k);
                }
                else
                {
                    stacked.Add(k);
                }
            }
        }
        var shown = all.Where(k => !dropped.Contains(k) && !stacked.Contains(k)).ToList();

        // 4. Panels: the first column, then as many of the others as fit, repeated until every column is shown.
        var panels = new List<List<int>>();
        if (Span(shown) <= width || shown.Count <= 1)
        {
            panels.Add(shown);
        }
        else
        {
            var panel = new List<int> { shown[0] };
            foreach (int k in shown.Skip(1))
            {
                if (Span([shown[0], k]) > width)
                {
                    stacked.Add(k); // too wide even beside the first column alone: under the rows
                    continue;
                }
                if (panel.Count > 1 && Span([.. panel, k]) > width)
                {
                    panels.Add(panel);
                    panel = [shown[0]];
                }
                panel.Add(k);
            }
            panels.Add(panel);
        }

        var lines = new List<IReadOnlyList<TextSpan>>();
        for (int p = 0; p < panels.Count; p++)
        {
            var panel = panels[p];
            if (p > 0) lines.Add([]);
            int headerLines = panel.Max(k => header[k].Length);
            for (int h = 0; h < headerLines; h++)
                lines.Add(Line(panel.Select(k =>
                {
                    int at = h - (headerLines - header[k].Length);
                    return (Text: at >= 0 ? header[k][at] : "", Column: k, Ink: Ink.Header);
                }), columns, widths));
            lines.Add(Line(panel.Select(k => (Text: new string('-', widths[k]), Column: k, Ink: Ink.Plain)), columns, widths));
            foreach (var row in rows)
            {
                var parts = panel.Select(k => columns[k].Fit == Fit.Wrap ? Wrap(row[k], widths[k]) : (IReadOnlyList<string>)[row[k]]).ToList();
                int height = parts.Max(x => x.Count);
                for (int i = 0; i < height; i++)
                    lines.Add(Line(panel.Select((k, c) => (Text: i < parts[c].Count ? parts[c][i] : "", Column: k, Ink: i == 0 ? InkOf(row[k]) : Ink.Plain)), columns, widths));
                if (p == 0)
                    foreach (int k in stacked.Order().Where(k => row[k].Length > 0))
                        foreach (var line in Wrap($"{columns[k].Header}: {row[k]}", width, StackIndent, StackIndent + "  "))
                            lines.Add([new TextSpan(line)]);
            }
        }
        return new RenderedTable(lines, dropped.Select(k => columns[k].Header).ToList());
    }

    /// <summary>
    /// <paramref name="text"/> in lines of at most <paramref name="width"/> columns, broken only at spaces (a longer word
    /// stays whole on its own line). The first line starts with <paramref name="indent"/>, the others with
    /// <paramref name="hanging"/> (default: the same); a newline in the text starts a new line.
    /// </summary>
    public static IReadOnlyList<string> Wrap(string text, int width, string indent = "", string? hanging = null)
    {
        hanging ??= indent;
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var paragraph in text.Split('\n'))
        {
            line.Clear().Append(lines.Count == 0 ? indent : hanging);
            int start = line.Length;
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > start && line.Length + 1 + word.Length > width)
                {
                    lines.Add(line.ToString());
                    line.Clear().Append(hanging);
                    start = line.Length;
                }
                if (line.Length > start) line.Append(' ');
                line.Append(word);
            }
            lines.Add(line.ToString().TrimEnd());
        }
        return lines;
    }

    /// <summary>
    /// One line of JSON in lines of at most <paramref name="width"/> columns, broken only after a comma between values
    /// (never inside a string), continued two spaces deeper: still valid JSON, with every number whole.
    /// </summary>
    public static IReadOnlyList<string> WrapJson(string line, int width)
    {
        if (line.Length <= width) return [line];
        string continuation = new string(' ', line.Length - line.TrimStart(' ').Length + 2);
        // Break points: just after ", " outside strings.
        var breaks = new List<int>();
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c == ',' && i + 1 < line.Length && line[i + 1] == ' ')
            {
                breaks.Add(i + 2);
            }
        }
        var lines = new List<string>();
        int from = 0, prefix = 0; // prefix: the continuation's length on every line after the first
        while (from < line.Length)
        {
            int room = width - prefix;
            int end = line.Length - from <= room ? line.Length
                : breaks.Where(b => b > from && b - from <= room).DefaultIfEmpty(breaks.FirstOrDefault(b => b > from, line.Length)).Max();
            lines.Add((from == 0 ? "" : continuation) + line[from..end].TrimEnd());
            from = end;
            prefix = continuation.Length;
        }
        return lines;
    }

    private static IReadOnlyList<TextSpan> Line(IEnumerable<(string Text, int Column, Ink Ink)> cells, IReadOnlyList<Column> columns, int[] widths)
    {
        var spans = new List<TextSpan>();
        foreach (var (text, k, ink) in cells)
        {
            if (spans.Count > 0) spans.Add(new TextSpan(new string(' ', Gap)));
            int pad = Math.Max(0, widths[k] - text.Length);
            if (columns[k].Align == Align.Right && pad > 0) spans.Add(new TextSpan(new string(' ', pad)));
            spans.Add(new TextSpan(text, ink));
            if (columns[k].Align == Align.Left && pad > 0) spans.Add(new TextSpan(new string(' ', pad)));
        }
        // No trailing blanks.
        while (spans.Count > 0 && string.IsNullOrWhiteSpace(spans[^1].Text)) spans.RemoveAt(spans.Count - 1);
        return spans;
    }

    private static Ink InkOf(string cell) => cell switch
    {
        "pass" or "ok" => Ink.Good,
        "FAIL" or "MISMATCH" => Ink.Bad,
        _ => Ink.Plain,
    };

    /// <summary>The header on two lines at the space that makes the wider line narrowest, or null when it has no space.</summary>
    private static string[]? SplitHeader(string header)
    {
        var words = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2) return null;
        return Enumerable.Range(1, words.Length - 1)
            .Select(i => new[] { string.Join(' ', words[..i]), string.Join(' ', words[i..]) })
            .MinBy(two => Math.Max(two[0].Length, two[1].Length));
    }

    private static int LongestWord(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Length).DefaultIfEmpty(0).Max();
}
