using System.Text;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>
/// A seeded corpus that is hard for tokenizers: many scripts, emoji ZWJ and flag sequences, mathematical alphanumerics
/// and other characters outside the BMP, digit runs in several scripts, whitespace runs of every kind, code,
/// contractions in any case, the tokenizer's own special tokens and near misses of them, NFC and NFD forms and very
/// long words, glued together with random separators.
/// </summary>
public static class HardCorpus
{
    static readonly string[] Fragments =
    [
        "The quick brown fox jumps over the lazy dog.", "naïve café, résumé — déjà vu", "Việt Nam", " Việt", "Straße ß ẞ",
        "Привет, мир! Съешь же ещё", "Καλημέρα κόσμε", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
        "你好，世界。", "日本語のテキストです", "カタカナ ひらがな", "안녕하세요 세계", "ᚠᛇᚻ᛫ᛒᛦᚦ", "ქართული", "Հայերեն",
        "😀o", "😀😃😄", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇫🇷🇯🇵", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️‍🔥", "🧑🏾‍💻",
        " 𝟘", "𝔞*i", "𝟙512", " 𐒠", "𝐀𝐁𝐂 𝑥𝑦𝑧", "𝕳𝖊𝖑𝖑𝖔", "𓀀𓀁", "𠀀𠀁 𪜀", "🂡🂢", "𐐀𐐨", "𝟎𝟏𝟐𝟑", "𝛂𝛃",
        "0", "7", "42", "123", "1234", "12345678901234567890", "3.14159", "1,000,000", "٣٤٥", "१२३", "１２３", "Ⅻ ⅻ", "½ ¾ ²",
        "   ", "\t\t", "\n", "\n\n\n", " \n ", "\r\n", "\u00A0", "\u3000", "\u2009", "\u001C\u001D\u001E\u001F", "\u0085",
        "\u200B", "\u200D", "\uFEFF", "\u0000", "\u007F", "  \t \n\n  x", " \u00A0 ",
        "def f(x):\n    return x**2  # square", "if (a != b) { c++; }", "<div class=\"x\">&amp;</div>", "SELECT * FROM t WHERE id=1;",
        "for i in range(10):\n\tprint(i)", "x=>x*2", "a_b-c.d/e\\f", "$HOME/.config", "https://example.com/path?q=1&r=2#frag",
        "it's", "I'LL", "we'Re", "they've", "'s", "'T", "don't", "O'Neil's", "''", "'''", "`code`", "\"quoted\"",
        "e\u0301", "é", "한", "\u1112\u1161\u11AB", "Å", "\u212B", "ﬁ", "Ǆ", "İ", "ſ", "K",
        "!!!", "???", "...", "—", "–", "«»", "„“", "¿¡", "§¶", "€$¥£", "±×÷", "→⇒", "∀∃∈", "©®™",
        "<unk>", "<s>", "</s>", "< s>", "<bos>", "<eos>", "<pad>", "<mask>", "[CLS]", "<0x41>", "▁", "▁▁hello", "Ġ", "Ċ",
    ];

    /// <summary>Strings that look like special tokens but are not (a character changed, dropped or doubled).</summary>
    static IEnumerable<string> NearMisses(string token)
    {
        if (token.Length < 3) yield break;
        yield return token[..^1];
        yield return token[1..];
        yield return token.ToUpperInvariant();
        yield return token.Insert(token.Length / 2, " ");
        yield return token + token[^1];
    }

    static string LongWord(Random r) => r.Next(6) switch
    {
        0 => new string('a', 200 + r.Next(400)),
        1 => string.Concat(Enumerable.Range(0, 300 + r.Next(300)).Select(_ => (char)('a' + r.Next(26)))),
        2 => string.Concat(Enumerable.Repeat("ab", 150 + r.Next(150))),
        3 => string.Concat(Enumerable.Range(0, 200 + r.Next(200)).Select(_ => (char)('0' + r.Next(10)))),
        4 => string.Concat(Enumerable.Repeat("😀", 50 + r.Next(100))),
        _ => string.Concat(Enumerable.Repeat("Donaudampfschifffahrt", 10 + r.Next(20))),
    };

    static readonly string[] Separators = ["", "", " ", " ", "  ", "\n", "\t", "\n\n", ". ", ", "];

    /// <summary><paramref name="count"/> documents; <paramref name="specialTokens"/> (the tokenizer's) are mixed in with near misses.</summary>
    public static IReadOnlyList<string> Generate(int seed, int count, IReadOnlyList<string> specialTokens)
    {
        var r = new Random(seed);
        var specials = specialTokens.Where(s => s.Length > 0).ToList();
        var docs = new List<string>(count);
        for (var d = 0; d < count; d++)
        {
            var b = new StringBuilder();
            var parts = 1 + r.Next(14);
            for (var p = 0; p < parts; p++)
            {
                b.Append(Separators[r.Next(Separators.Length)]);
                var kind = r.Next(20);
                if (kind == 0) b.Append(LongWord(r));
                else if (kind == 1 && specials.Count > 0) b.Append(specials[r.Next(specials.Count)]);
                else if (kind == 2 && specials.Count > 0) b.Append(NearMisses(specials[r.Next(specials.Count)]).OrderBy(_ => r.Next()).FirstOrDefault() ?? "");
                else if (kind == 3) b.Append(SafetyNotebooks.Tokenization.Unicode.UnicodeNormalization.Normalize(Fragments[r.Next(Fragments.Length)], NormalizationForm.FormD));
                else b.Append(Fragments[r.Next(Fragments.Length)]);
            }
            docs.Add(b.ToString());
        }
        return docs;
    }
}
