namespace SafetyNotebooks.Tagging;

/// <summary>
/// The realised tag rate, defined once: tags per eligible word, where a document's eligible words are its words
/// (<see cref="AsciiWhitespace"/>'s rule, the tagger's own) except the first, before which no tag is drawn.
/// </summary>
public static class TagRate
{
    /// <summary>The eligible words of a document of <paramref name="words"/> words.</summary>
    public static long EligibleWords(long words) => Math.Max(0, words - 1);

    /// <summary>The eligible words of a document's text.</summary>
    public static long EligibleWords(string text) => EligibleWords(AsciiWhitespace.CountWords(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Tags per eligible word; 0 when nothing was eligible.</summary>
    public static double Realised(long tags, long eligibleWords) => eligibleWords == 0 ? 0 : (double)tags / eligibleWords;
}
