using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// A tokenizer.json regex with the semantics of the Rust library (Oniguruma on code points) on .NET's UTF-16 regex
/// engine. .NET matches <c>\p{L}</c> and friends against UTF-16 units, so a character outside the Basic Multilingual
/// Plane (a surrogate pair) matches no category and may even be cut in two. Text holding surrogate pairs is therefore
/// matched in a projection where every such character is replaced by one BMP stand-in of the same general category;
/// match positions are mapped back, so no surrogate pair is ever split. The projection is exact as long as the
/// pattern names no character literally that a stand-in could collide with, which <see cref="Create"/> checks.
/// </summary>
public sealed class CodePointRegex
{
    readonly Regex regex;
    readonly bool project;

    public string Pattern { get; }

    CodePointRegex(string pattern, Regex regex, bool project) { Pattern = pattern; this.regex = regex; this.project = project; }

    /// <summary>One stand-in per general category (BMP code points of that category, outside common literal ranges).</summary>
    static readonly char[] StandIn = BuildStandIns();

    static char[] BuildStandIns()
    {
        var map = new char[30];
        void Set(UnicodeCategory c, char ch)
        {
            if (char.GetUnicodeCategory(ch) != c) throw new InvalidOperationException($"stand-in U+{(int)ch:X4} is not {c}");
            map[(int)c] = ch;
        }
        Set(UnicodeCategory.UppercaseLetter, '\u0100'); Set(UnicodeCategory.LowercaseLetter, '\u0101');
        Set(UnicodeCategory.TitlecaseLetter, '\u01C5'); Set(UnicodeCategory.ModifierLetter, '\u02B0');
        Set(UnicodeCategory.OtherLetter, '\u01BB'); Set(UnicodeCategory.NonSpacingMark, '\u0300');
        Set(UnicodeCategory.SpacingCombiningMark, '\u0903'); Set(UnicodeCategory.EnclosingMark, '\u0488');
        Set(UnicodeCategory.DecimalDigitNumber, '\u0660'); Set(UnicodeCategory.LetterNumber, '\u16EE');
        Set(UnicodeCategory.OtherNumber, '\u09F4'); Set(UnicodeCategory.SpaceSeparator, '\u1680');
        Set(UnicodeCategory.LineSeparator, '\u2028'); Set(UnicodeCategory.ParagraphSeparator, '\u2029');
        Set(UnicodeCategory.Control, '\u0001'); Set(UnicodeCategory.Format, '\u0600');
        Set(UnicodeCategory.Surrogate, '\uD800'); Set(UnicodeCategory.PrivateUse, '\uE000');
        Set(UnicodeCategory.ConnectorPunctuation, '\u203F'); Set(UnicodeCategory.DashPunctuation, '\u058A');
        Set(UnicodeCategory.OpenPunctuation, '\u0F3A'); Set(UnicodeCategory.ClosePunctuation, '\u0F3B');
        Set(UnicodeCategory.InitialQuotePunctuation, '\u2018'); Set(UnicodeCategory.FinalQuotePunctuation, '\u2019');
        Set(UnicodeCategory.OtherPunctuation, '\u037E'); Set(UnicodeCategory.MathSymbol, '\u03F6');
        Set(UnicodeCategory.CurrencySymbol, '\u058F'); Set(UnicodeCategory.ModifierSymbol, '\u02C2');
        Set(UnicodeCategory.OtherSymbol, '\u0482'); Set(UnicodeCategory.OtherNotAssigned, '\u0378');
        return map;
    }

    /// <summary>
    /// Compiles <paramref name="pattern"/>; a pattern .NET cannot parse, one naming characters outside the BMP, or one
    /// whose literal non-ASCII characters include a stand-in is a <see cref="BadInputException"/> (never approximated).
    /// </summary>
    public static CodePointRegex Create(string pattern, string source, string field)
    {
        if (pattern.Any(char.IsSurrogate))
            throw new BadInputException("regexes naming characters outside the Basic Multilingual Plane are not supported", source, field, pattern);
        foreach (var (lo, hi) in LiteralRanges(pattern))
            if (StandIn.Any(s => s >= lo && s <= hi && s > 0x7F))
                throw new BadInputException($"the regex names U+{(int)lo:X4}-U+{(int)hi:X4} literally, which this engine cannot match exactly outside the BMP", source, field, pattern);
        try { return new CodePointRegex(pattern, new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), project: true); }
        catch (ArgumentException e) { throw new BadInputException($"not a valid regex: {e.Message}", source, field, pattern); }
    }

    /// <summary>A literal string pattern (Split/Replace {"String": s}); it needs no projection.</summary>
    public static CodePointRegex Literal(string text) =>
        new(Regex.Escape(text), new Regex(Regex.Escape(text), RegexOptions.CultureInvariant), project: false);

    /// <summary>Literal characters and a-b ranges of the pattern (escapes skipped); a conservative over-approximation.</summary>
    static IEnumerable<(char Lo, char Hi)> LiteralRanges(string p)
    {
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == '\\') { i++; continue; }
            if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != '\\' && p[i + 2] != ']') { yield return (p[i], p[i + 2]); i += 2; continue; }
            yield return (p[i], p[i]);
        }
    }

    /// <summary>The matches in text[start, start+length) as (offset, length) pairs in <paramref name="text"/>.</summary>
    public void Matches(string text, int start, int length, List<(int Offset, int Length)> output)
    {
        var span = text.AsSpan(start, length);
        if (!project || span.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in regex.EnumerateMatches(span)) output.Add((start + m.Index, m.Length));
            return;
        }
        // Projection: one char per code point; at[k] is where projected char k starts in text.
        var projected = new StringBuilder(length);
        var at = new List<int>(length + 1);
        for (var i = 0; i < span.Length; i++)
        {
            at.Add(start + i);
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(span[i], span[i + 1]));
                projected.Append(StandIn[(int)category]);
                i++;
            }
            else projected.Append(span[i]);
        }
        at.Add(start + length);
        foreach (var m in regex.EnumerateMatches(projected.ToString()))
            output.Add((at[m.Index], at[m.Index + m.Length] - at[m.Index]));
    }

    /// <summary>Every match replaced by <paramref name="content"/> (taken literally).</summary>
    public string Replace(string text, string content)
    {
        var matches = new List<(int Offset, int Length)>();
        Matches(text, 0, text.Length, matches);
        if (matches.Count == 0) return text;
        var b = new StringBuilder(text.Length);
        var at = 0;
        foreach (var (o, l) in matches) { b.Append(text, at, o - at).Append(content); at = o + l; }
        return b.Append(text, at, text.Length - at).ToString();
    }
}
