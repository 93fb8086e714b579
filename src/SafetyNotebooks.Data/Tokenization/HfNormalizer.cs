using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SafetyNotebooks.Tokenization.Unicode;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// A Hugging Face <c>normalizer</c> of tokenizer.json as a pure string function. Supported: Sequence, NFC, NFD, NFKC,
/// NFKD, Lowercase, Strip, StripAccents, Replace, Prepend and BertNormalizer; anything else is rejected by
/// <see cref="FromJson"/> naming <c>normalizer.type</c>.
/// </summary>
public abstract record HfNormalizer
{
    public abstract string Apply(string text);

    /// <summary>The normalizer of a tokenizer.json node (null when the node is null).</summary>
    public static HfNormalizer? FromJson(JsonNode? node, string source, string field = "normalizer")
    {
        if (node is null) return null;
        var type = node["type"]?.GetValue<string>();
        bool Flag(string name, bool fallback) => node[name]?.GetValue<bool>() ?? fallback;
        string Text(string name) => node[name]?.GetValue<string>() ?? throw new BadInputException("missing", source, $"{field}.{name}");
        return type switch
        {
            "Sequence" => new SequenceNormalizer((node["normalizers"] as JsonArray ?? throw new BadInputException("missing", source, $"{field}.normalizers"))
                .Select((n, i) => FromJson(n, source, $"{field}.normalizers[{i}]") ?? throw new BadInputException("null normalizer", source, $"{field}.normalizers[{i}]")).ToList()),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(Flag("strip_left", true), Flag("strip_right", true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "Prepend" => new PrependNormalizer(Text("prepend")),
            "Replace" => new ReplaceNormalizer(Patterns.FromJson(node["pattern"], source, $"{field}.pattern"), Text("content")),
            "BertNormalizer" => new BertNormalizer(new BertNormalization(Flag("clean_text", true), Flag("handle_chinese_chars", true),
                node["strip_accents"]?.GetValue<bool>(), Flag("lowercase", true))),
            _ => throw new BadInputException("unsupported normalizer", source, $"{field}.type", type ?? "null"),
        };
    }

    /// <summary>Rust's <c>char::to_lowercase</c> per character (what Lowercase does): İ becomes "i̇", the rest maps one to one.</summary>
    public static string Lowercase(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            if (rune.Value == 0x130) b.Append("i\u0307");
            else b.Append(Rune.ToLowerInvariant(rune).ToString());
        return b.ToString();
    }
}

public sealed record SequenceNormalizer(IReadOnlyList<HfNormalizer> Steps) : HfNormalizer
{
    public override string Apply(string text) => Steps.Aggregate(text, (t, step) => step.Apply(t));
}

public sealed record UnicodeFormNormalizer(NormalizationForm Form) : HfNormalizer
{
    public override string Apply(string text) => UnicodeNormalization.Normalize(text, Form);
}

public sealed record LowercaseNormalizer : HfNormalizer
{
    public override string Apply(string text) => Lowercase(text);
}

/// <summary>Strip: removes Unicode whitespace at the start and/or end.</summary>
public sealed record StripNormalizer(bool Left, bool Right) : HfNormalizer
{
    public override string Apply(string text) => (Left, Right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

/// <summary>StripAccents: drops combining marks (Mn, Mc, Me); it does not decompose, so it follows NFD/NFKD.</summary>
public sealed record StripAccentsNormalizer : HfNormalizer
{
    public override string Apply(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark))
                b.Append(rune.ToString());
        return b.ToString();
    }
}

/// <summary>Prepend: adds a prefix to non-empty text (SentencePiece's "▁").</summary>
public sealed record PrependNormalizer(string Prefix) : HfNormalizer
{
    public override string Apply(string text) => text.Length == 0 ? text : Prefix + text;
}

/// <summary>Replace: every match of a literal or regex pattern becomes <paramref name="Content"/>.</summary>
public sealed record ReplaceNormalizer(CodePointRegex Pattern, string Content) : HfNormalizer
{
    public override string Apply(string text) => Pattern.Replace(text, Content);
}

/// <summary>BertNormalizer: clean control characters and whitespace, space out CJK, strip accents (NFD, drop Mn), lowercase.</summary>
public sealed record BertNormalizer(BertNormalization Options) : HfNormalizer
{
    public override string Apply(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var c = rune.Value;
            var category = Rune.GetUnicodeCategory(rune);
            if (Options.CleanText)
            {
                var isWhitespace = c is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);
                // Unassigned code points are kept (as tokenizers does).
                var isControl = c is not ('\t' or '\n' or '\r') && category is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
                if (c is 0 or 0xFFFD || isControl) continue;
                if (isWhitespace) { b.Append(' '); continue; }
            }
            if (Options.HandleChineseChars && IsCjk(c)) b.Append(' ').Append(rune.ToString()).Append(' ');
            else b.Append(rune.ToString());
        }
        var s = b.ToString();
        if (Options.StripsAccents)
        {
            var kept = new StringBuilder(s.Length);
            foreach (var rune in UnicodeNormalization.Normalize(s, NormalizationForm.FormD).EnumerateRunes())
                if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) kept.Append(rune.ToString());
            s = kept.ToString();
        }
        return Options.Lowercase ? Lowercase(s) : s;
    }

    static bool IsCjk(int c) => c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
        or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF)
        or (>= 0x2F800 and <= 0x2FA1F);
}
