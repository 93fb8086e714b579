using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace SafetyNotebooks.Tests.Tagging;

/// <summary>Text generators that stress the word rules: every ASCII whitespace byte, near-misses (0x1C, NBSP, 0x08),
/// multi-byte UTF-8, and lengths around the 64-byte block size. None contains '&lt;', so the tag never occurs naturally.</summary>
public static class TaggingTexts
{
    static readonly string[] Pieces =
    [
        "a", "word", "Straße", "über", "日本語", "🙂", "x1", "-", ".", "\u001c", "\u00a0", "\u0008", "\u2003",
        " ", "  ", "\t", "\n", "\r\n", "\u000b", "\u000c", "\r",
    ];

    public static Gen<string> Text =>
        Gen.Elements(Pieces).ArrayOf().Select(parts => string.Concat(parts));

    public static Arbitrary<string> Arb => Text.ToArbitrary();

    /// <summary>A deterministic corpus of documents with mixed lengths (0 to ~3 KB) and scores 0..5.</summary>
    public static IReadOnlyList<(string Id, string Text, int Score)> Corpus(int count, int seed)
    {
        var rng = new Random(seed);
        var docs = new List<(string, string, int)>(count);
        for (var i = 0; i < count; i++)
        {
            var n = rng.Next(0, 12) == 0 ? rng.Next(0, 4) : rng.Next(1, 600);
            var sb = new StringBuilder();
            for (var j = 0; j < n; j++) sb.Append(Pieces[rng.Next(Pieces.Length)]);
            docs.Add(($"doc-{i}-{(char)('α' + i % 20)}", sb.ToString(), rng.Next(0, 6)));
        }
        return docs;
    }

    /// <summary>Word starts by the definition, one byte at a time (the oracle for the SIMD walker).</summary>
    public static List<int> NaiveWordStarts(ReadOnlySpan<byte> text)
    {
        var starts = new List<int>();
        for (var i = 0; i < text.Length; i++)
            if (!IsWs(text[i]) && (i == 0 || IsWs(text[i - 1]))) starts.Add(i);
        return starts;
        static bool IsWs(byte b) => b is 0x20 or 0x09 or 0x0A or 0x0B or 0x0C or 0x0D;
    }
}
