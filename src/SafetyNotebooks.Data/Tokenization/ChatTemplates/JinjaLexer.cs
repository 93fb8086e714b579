using System.Text;

namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>A place in the template source (1-based), for error messages.</summary>
public readonly record struct SourcePos(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

public enum TokenKind { Name, String, Integer, Float, Operator }

/// <summary>One token inside a <c>{{ }}</c> or <c>{% %}</c> tag.</summary>
public sealed record JinjaToken(TokenKind Kind, string Text, SourcePos Pos);

/// <summary>A piece of the template: literal text, an output tag or a statement tag (comments are dropped).</summary>
public abstract record Segment(SourcePos Pos);
public sealed record TextSegment(string Text, SourcePos Pos) : Segment(Pos);
public sealed record OutputSegment(IReadOnlyList<JinjaToken> Tokens, SourcePos Pos, SourcePos End) : Segment(Pos);
public sealed record StatementSegment(IReadOnlyList<JinjaToken> Tokens, SourcePos Pos, SourcePos End) : Segment(Pos);

/// <summary>
/// Splits a Jinja template into segments with the whitespace rules Hugging Face renders chat templates with:
/// <c>trim_blocks</c> (the newline after a block or comment tag is dropped), <c>lstrip_blocks</c> (spaces and tabs
/// before a block tag at the start of a line are dropped; <c>{%+</c> keeps them) and the <c>-</c> markers, which strip
/// all whitespace on their side.
/// </summary>
public static class JinjaLexer
{
    static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|"];

    public static IReadOnlyList<Segment> Lex(string source)
    {
        var segments = new List<Segment>();
        var lines = LineStarts(source);
        var pos = 0;
        var stripNext = false;   // the previous tag ended with '-'
        while (pos <= source.Length)
        {
            var open = NextTag(source, pos);
            var textEnd = open < 0 ? source.Length : open;
            var text = source[pos..textEnd];
            if (stripNext) text = text.TrimStart();
            if (open < 0)
            {
                if (text.Length > 0) segments.Add(new TextSegment(text, At(lines, pos)));
                break;
            }
            var kind = source[open + 1];
            var modifier = open + 2 < source.Length ? source[open + 2] : '\0';
            if (modifier == '-') text = text.TrimEnd();
            else if (kind != '{' && modifier != '+')
            {
                // lstrip_blocks: only whitespace between the line's start and the tag.
                var lineStart = text.LastIndexOf('\n') + 1;
                var atLineStart = lineStart > 0 || pos == 0 || source[pos - 1] == '\n';
                if (atLineStart && text.AsSpan(lineStart).IndexOfAnyExcept(' ', '\t') < 0) text = text[..lineStart];
            }
            if (text.Length > 0) segments.Add(new TextSegment(text, At(lines, pos)));
            var inner = open + 2 + (modifier is '-' or '+' ? 1 : 0);
            int after;
            bool stripRight, trimBlock;
            if (kind == '#')
            {
                var close = source.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0) throw Error(At(lines, open), "comment is not closed with '#}'");
                stripRight = source[close - 1] == '-' && close - 1 >= inner;
                trimBlock = !stripRight && source[close - 1] != '+';
                after = close + 2;
            }
            else
            {
                var (tokens, close, closeLength, right) = Tokenize(source, inner, kind == '{' ? "}}" : "%}", lines);
                stripRight = right == '-';
                trimBlock = kind == '%' && right == '\0';
                after = close + closeLength;
                segments.Add(kind == '{'
                    ? new OutputSegment(tokens, At(lines, open), At(lines, close))
                    : new StatementSegment(tokens, At(lines, open), At(lines, close)));
            }
            stripNext = stripRight;
            if (trimBlock && after < source.Length && source[after] == '\n') after++;
            else if (trimBlock && after + 1 < source.Length && source[after] == '\r' && source[after + 1] == '\n') after += 2;
            pos = after;
        }
        return segments;
    }

    static int NextTag(string s, int from)
    {
        for (var i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>Tokens from <paramref name="start"/> up to the closing delimiter (outside brackets); returns where it closes and its '-'/'+' marker.</summary>
    static (List<JinjaToken> Tokens, int Close, int CloseLength, char Marker) Tokenize(string s, int start, string closer, int[] lines)
    {
        var tokens = new List<JinjaToken>();
        var depth = 0;
        var i = start;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) throw Error(At(lines, start), $"tag is not closed with '{closer}'");
            if (depth == 0)
            {
                foreach (var marker in new[] { '-', '+' })
                    if (s[i] == marker && string.CompareOrdinal(s, i + 1, closer, 0, 2) == 0) return (tokens, i, 3, marker);
                if (string.CompareOrdinal(s, i, closer, 0, 2) == 0) return (tokens, i, 2, '\0');
            }
            var at = At(lines, i);
            var c = s[i];
            if (char.IsLetter(c) || c == '_')
            {
                var j = i;
                while (j < s.Length && (char.IsLetterOrDigit(s[j]) || s[j] == '_')) j++;
                tokens.Add(new JinjaToken(TokenKind.Name, s[i..j], at));
                i = j;
            }
            else if (char.IsAsciiDigit(c))
            {
                var j = i;
                while (j < s.Length && (char.IsAsciiDigit(s[j]) || s[j] == '_')) j++;
                var isFloat = false;
                if (j + 1 < s.Length && s[j] == '.' && char.IsAsciiDigit(s[j + 1]))
                {
                    isFloat = true;
                    j++;
                    while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
                }
                if (j < s.Length && s[j] is 'e' or 'E')
                {
                    var k = j + 1;
                    if (k < s.Length && s[k] is '+' or '-') k++;
                    if (k < s.Length && char.IsAsciiDigit(s[k]))
                    {
                        isFloat = true;
                        j = k;
                        while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
                    }
                }
                tokens.Add(new JinjaToken(isFloat ? TokenKind.Float : TokenKind.Integer, s[i..j].Replace("_", ""), at));
                i = j;
            }
            else if (c is '\'' or '"')
            {
                var (text, end) = ReadString(s, i, lines);
                tokens.Add(new JinjaToken(TokenKind.String, text, at));
                i = end;
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(s, i, o, 0, o.Length) == 0)
                    ?? throw Error(at, $"unexpected character '{c}'");
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                tokens.Add(new JinjaToken(TokenKind.Operator, op, at));
                i += op.Length;
            }
        }
    }

    /// <summary>A quoted string literal with Python's escapes; returns its value and the index after the closing quote.</summary>
    static (string Text, int End) ReadString(string s, int start, int[] lines)
    {
        var quote = s[start];
        var text = new StringBuilder();
        for (var i = start + 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == quote) return (text.ToString(), i + 1);
            if (c != '\\' || i + 1 >= s.Length) { text.Append(c); continue; }
            var e = s[++i];
            switch (e)
            {
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case '0': text.Append('\0'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case '\\' or '\'' or '"': text.Append(e); break;
                case '\n': break;
                case 'x' when i + 2 < s.Length: text.Append((char)Convert.ToInt32(s.Substring(i + 1, 2), 16)); i += 2; break;
                case 'u' when i + 4 < s.Length: text.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16)); i += 4; break;
                default: text.Append('\\').Append(e); break;   // Python keeps unknown escapes as written
            }
        }
        throw Error(At(lines, start), "string literal is not closed");
    }

    static int[] LineStarts(string s)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < s.Length; i++) if (s[i] == '\n') starts.Add(i + 1);
        return starts.ToArray();
    }

    static SourcePos At(int[] lineStarts, int index)
    {
        var line = Array.BinarySearch(lineStarts, index);
        if (line < 0) line = ~line - 1;
        return new SourcePos(line + 1, index - lineStarts[line] + 1);
    }

    internal static BadInputException Error(SourcePos pos, string message) => new($"{pos}: {message}", "chat_template");
}
