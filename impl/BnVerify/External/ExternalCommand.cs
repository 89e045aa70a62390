using System.Text;

namespace BnVerify.External;

/// <summary>
/// Splits a command line such as <c>python3 adapter.py "my layers.py" --backward f</c> into its words the way a POSIX
/// shell does (blanks separate words; 'single quotes' keep everything; "double quotes" keep everything but \" \\ \$ \`;
/// a backslash outside quotes keeps the next character; on Windows a backslash outside quotes is an ordinary character).
/// No shell runs the result: no variables, globs, pipes or redirections (write <c>sh -c '...'</c> for those).
/// </summary>
public static class ExternalCommand
{
    /// <summary>The words of <paramref name="command"/>; throws <see cref="ArgumentException"/> on an unterminated quote or an empty command.</summary>
    public static IReadOnlyList<string> Split(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        bool backslashEscapes = !OperatingSystem.IsWindows();
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                int end = command.IndexOf('\'', i + 1);
                if (end < 0) throw new ArgumentException($"unterminated ' quote in: {command}", nameof(command));
                word.Append(command, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                int j = i + 1;
                for (; j < command.Length && command[j] != '"'; j++)
                {
                    if (command[j] == '\\' && j + 1 < command.Length && "\"\\$`".Contains(command[j + 1], StringComparison.Ordinal))
                        j++;
                    word.Append(command[j]);
                }
                if (j >= command.Length) throw new ArgumentException($"unterminated \" quote in: {command}", nameof(command));
                i = j;
            }
            else if (c == '\\' && backslashEscapes)
            {
                if (i + 1 < command.Length) word.Append(command[++i]);
            }
            else
            {
                word.Append(c);
            }
        }
        if (inWord) words.Add(word.ToString());
        if (words.Count == 0) throw new ArgumentException("the command is empty", nameof(command));
        return words;
    }
}
