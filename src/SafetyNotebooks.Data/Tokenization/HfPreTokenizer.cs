using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SafetyNotebooks.Tokenization;

/// <summary>One pre-tokenization step of a Hugging Face <c>pre_tokenizer</c>: splits a piece of text into smaller pieces.</summary>
public abstract record PreTokenizeStep
{
    /// <summary>Splits text[start, start+length) into consecutive sub-ranges.</summary>
    public abstract IEnumerable<(int Offset, int Length)> Split(string text, int start, int length);

    /// <summary>GPT-2's byte-level split (ByteLevel with use_regex, and Split with this pattern).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
}

/// <summary>Splits by a regex, keeping every match and every gap as its own piece ("Isolated" behaviour).</summary>
public sealed record RegexSplit(Regex Pattern) : PreTokenizeStep
{
    /// <summary>GPT-2's byte-level split, compiled once.</summary>
    public static RegexSplit Gpt2 { get; } = new(new Regex(Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant));

    public override IEnumerable<(int Offset, int Length)> Split(string text, int start, int length)
    {
        var end = start + length;
        var at = start;
        for (var m = Pattern.Match(text, start, length); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            if (m.Index > at) yield return (at, m.Index - at);
            yield return (m.Index, m.Length);
            at = m.Index + m.Length;
        }
        if (at < end) yield return (at, end - at);
    }
}

/// <summary>The <c>Digits</c> pre-tokenizer: each digit alone (individual_digits) or runs of digits, separated from the rest.</summary>
public sealed record DigitsSplit(bool IndividualDigits) : PreTokenizeStep
{
    public override IEnumerable<(int Offset, int Length)> Split(string text, int start, int length)
    {
        var end = start + length;
        var at = start;
        while (at < end)
        {
            var digit = char.IsDigit(text[at]);
            var stop = at + 1;
            if (!digit || !IndividualDigits)
                while (stop < end && char.IsDigit(text[stop]) == digit) stop++;
            yield return (at, stop - at);
            at = stop;
        }
    }
}

/// <summary>
/// A chain of pre-tokenization steps applied after added tokens have been cut out, as Hugging Face tokenizers does:
/// added tokens are matched first in the raw text (longest first), and the text between them is pre-tokenized step
/// by step. An added token with <c>lstrip</c> (<c>rstrip</c>) also swallows the whitespace on its left (right), which
/// then belongs to no piece. Plugs into Microsoft.ML.Tokenizers' BPE.
/// </summary>
public sealed class HfPreTokenizer : PreTokenizer
{
    readonly IReadOnlyList<PreTokenizeStep> steps;
    readonly Regex? specials;
    readonly Dictionary<string, AddedToken> byContent;

    public HfPreTokenizer(IReadOnlyList<PreTokenizeStep> steps, IEnumerable<string> specialTokens)
        : this(steps, specialTokens.Select(s => new AddedToken(-1, s, Special: true))) { }

    public HfPreTokenizer(IReadOnlyList<PreTokenizeStep> steps, IEnumerable<AddedToken> addedTokens)
    {
        this.steps = steps;
        byContent = addedTokens.Where(a => a.Content.Length > 0).GroupBy(a => a.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        specials = AddedToken.Pattern(byContent.Keys);
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var pieces = new List<(int, int)>();
        var at = 0;
        if (specials is not null)
            for (var m = specials.Match(text); m.Success; m = m.NextMatch())
            {
                if (m.Index < at) continue; // inside whitespace an earlier rstrip token swallowed
                var (start, end) = byContent[m.Value].Swallow(text, at, m.Index, m.Length);
                if (start > at) Expand(text, at, start - at, 0, pieces);
                pieces.Add((m.Index, m.Length));
                at = end;
            }
        if (at < text.Length) Expand(text, at, text.Length - at, 0, pieces);
        return pieces;
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());

    void Expand(string text, int start, int length, int step, List<(int, int)> output)
    {
        if (step == steps.Count)
        {
            output.Add((start, length));
            return;
        }
        foreach (var (o, l) in steps[step].Split(text, start, length)) Expand(text, o, l, step + 1, output);
    }
}
