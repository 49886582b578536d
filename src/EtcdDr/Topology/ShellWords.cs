using System.Text;

namespace EtcdDr.Topology;

/// <summary>
/// Splits shell text (a wrapper script, the string of `sh -c "..."`, a systemd ExecStart line) into
/// commands and words the way a POSIX shell would before expanding anything: quotes removed,
/// backslash escapes and line continuations applied, comments dropped. Nothing is ever executed and
/// nothing is expanded: "$@" stays the word <c>$@</c>, so a caller can tell a variable from a value.
/// </summary>
public static class ShellWords
{
    /// <summary>The words of the first command in <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Split(string text) => Commands(text).FirstOrDefault() ?? [];

    /// <summary>Every simple command in <paramref name="text"/>: split at unquoted newlines, ';', '&amp;', '|'.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Commands(string text)
    {
        var commands = new List<IReadOnlyList<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;

        void EndWord()
        {
            if (inWord)
                words.Add(word.ToString());
            word.Clear();
            inWord = false;
        }

        void EndCommand()
        {
            EndWord();
            if (words.Count > 0)
                commands.Add([.. words]);
            words.Clear();
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\' when i + 1 < text.Length:
                    // Backslash-newline joins lines; any other escaped character is taken literally.
                    if (text[i + 1] != '\n')
                    {
                        word.Append(text[i + 1]);
                        inWord = true;
                    }
                    i++;
                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    close = close < 0 ? text.Length : close;
                    word.Append(text, i + 1, close - i - 1);
                    inWord = true;
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        // Inside double quotes a backslash escapes only $ ` " \ and the newline.
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '$' or '`' or '"' or '\\' or '\n')
                        {
                            if (text[++i] != '\n')
                                word.Append(text[i]);
                        }
                        else
                        {
                            word.Append(text[i]);
                        }
                    }
                    break;
                case '#' when !inWord:
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                        i++;
                    break;
                case '\n' or ';' or '&' or '|':
                    EndCommand();
                    break;
                case ' ' or '\t' or '\r':
                    EndWord();
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        EndCommand();
        return commands;
    }
}
