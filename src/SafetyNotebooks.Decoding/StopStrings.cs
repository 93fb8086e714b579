using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// Stop strings: a continuation ends at the token whose text completes one of <see cref="Strings"/> (the decoded new
/// tokens contain it, and did not before that token). Decoding goes through the tokenizer so that strings spanning
/// several tokens are found.
/// </summary>
public sealed record StopStrings(ITextTokenizer Tokenizer, IReadOnlyList<string> Strings)
{
    public bool CompletedBy(IReadOnlyList<int> newTokens)
    {
        if (Strings.Count == 0 || newTokens.Count == 0) return false;
        var text = Tokenizer.Decode(newTokens);
        if (!Strings.Any(s => text.Contains(s, StringComparison.Ordinal))) return false;
        var before = Tokenizer.Decode(newTokens.Take(newTokens.Count - 1));
        return !Strings.Any(s => before.Contains(s, StringComparison.Ordinal));
    }

    /// <summary>The text of <paramref name="newTokens"/> cut before the first stop string (for chat replies).</summary>
    public string Trim(string text)
    {
        var cut = Strings.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(text.Length).Min();
        return text[..cut];
    }
}
