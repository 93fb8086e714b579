using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>The BERT normalizer settings of a tokenizer.json (<c>strip_accents</c> null means "same as lowercase").</summary>
public sealed record BertNormalization(bool CleanText = true, bool HandleChineseChars = true, bool? StripAccents = null, bool Lowercase = true)
{
    public bool StripsAccents => StripAccents ?? Lowercase;
}

/// <summary>
/// A WordPiece tokenizer with Hugging Face <c>tokenizers</c> semantics (BertNormalizer → BertPreTokenizer → greedy
/// longest-match WordPiece with "##" continuations → [CLS] … [SEP]), loaded from a tokenizer.json such as the one of
/// gte-large-en-v1.5. Added/special tokens written in the text map to their own ids.
/// </summary>
public sealed class WordPieceTokenizer : ITextTokenizer
{
    readonly Dictionary<string, int> vocab;
    readonly string[] idToToken;
    readonly (string Content, int Id)[] addedTokens; // longest first, for matching in raw text
    readonly HashSet<int> specialIds;

    public BertNormalization Normalization { get; }
    public string UnkToken { get; }
    public string ContinuingPrefix { get; }
    public int MaxInputCharsPerWord { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }
    public int VocabSize => idToToken.Length;

    public WordPieceTokenizer(IReadOnlyDictionary<string, int> vocabulary, BertNormalization? normalization = null,
        string unkToken = "[UNK]", string continuingPrefix = "##", int maxInputCharsPerWord = 100,
        IEnumerable<(string Content, int Id, bool Special)>? added = null, string cls = "[CLS]", string sep = "[SEP]", string pad = "[PAD]")
    {
        vocab = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        var addedList = (added ?? []).ToList();
        foreach (var a in addedList) vocab.TryAdd(a.Content, a.Id);
        idToToken = new string[vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) idToToken[id] = token;
        addedTokens = addedList.Select(a => (a.Content, a.Id)).OrderByDescending(a => a.Content.Length).ToArray();
        specialIds = addedList.Where(a => a.Special).Select(a => a.Id).ToHashSet();
        Normalization = normalization ?? new BertNormalization();
        UnkToken = unkToken;
        ContinuingPrefix = continuingPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
        if (!vocab.ContainsKey(unkToken)) throw new ArgumentException($"the vocabulary lacks the unknown token {unkToken}");
        ClsId = vocab.GetValueOrDefault(cls, -1);
        SepId = vocab.GetValueOrDefault(sep, -1);
        PadId = vocab.GetValueOrDefault(pad, 0);
    }

    /// <summary>Loads a Hugging Face tokenizer.json whose model is WordPiece.</summary>
    public static WordPieceTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("tokenizer.json not found", path);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }
        var model = root["model"] as JsonObject ?? throw new BadInputException("missing", path, "model");
        var type = (string?)model["type"];
        if (type != "WordPiece") throw new BadInputException("only WordPiece tokenizers are supported here", path, "model.type", type ?? "(missing)");
        var vocabulary = (model["vocab"] as JsonObject ?? throw new BadInputException("missing", path, "model.vocab"))
            .ToDictionary(kv => kv.Key, kv => BpeModel.Id(kv.Value, path, $"model.vocab[{JsonSerializer.Serialize(kv.Key)}]"));
        if (vocabulary.Count == 0) throw new BadInputException("the vocabulary is empty", path, "model.vocab", "{}");
        var unk = model["unk_token"] is JsonValue u && u.TryGetValue<string>(out var unkText) ? unkText : "[UNK]";
        if (!vocabulary.ContainsKey(unk)) throw new BadInputException("the vocabulary lacks its unknown token", path, "model.unk_token", unk);
        var n = root["normalizer"] as JsonObject;
        var normalization = n is null ? new BertNormalization(false, false, false, false)
            : (string?)n["type"] == "BertNormalizer"
                ? new BertNormalization((bool?)n["clean_text"] ?? true, (bool?)n["handle_chinese_chars"] ?? true, (bool?)n["strip_accents"], (bool?)n["lowercase"] ?? true)
                : throw new BadInputException("only the BertNormalizer is supported", path, "normalizer.type", (string?)n["type"] ?? "(missing)");
        var added = AddedToken.ListFromJson(root["added_tokens"], path).Select(t => (t.Content, t.Id, t.Special));
        var (cls, sep) = ("[CLS]", "[SEP]");
        if (root["post_processor"] is JsonObject pp && (string?)pp["type"] == "BertProcessing")
            (cls, sep) = ((string)pp["cls"]![0]!, (string)pp["sep"]![0]!);
        return new WordPieceTokenizer(vocabulary, normalization, unk,
            (string?)model["continuing_subword_prefix"] ?? "##", (int?)model["max_input_chars_per_word"] ?? 100, added, cls, sep);
    }

    /// <summary>Writes a tokenizer.json that Hugging Face <c>tokenizers</c> and <see cref="Load"/> both read.</summary>
    public string ToJson()
    {
        var specials = vocab.Where(kv => specialIds.Contains(kv.Value)).OrderBy(kv => kv.Value);
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(specials.Select(kv => (JsonNode)new JsonObject
            {
                ["id"] = kv.Value, ["content"] = kv.Key, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = Normalization.CleanText, ["handle_chinese_chars"] = Normalization.HandleChineseChars,
                ["strip_accents"] = Normalization.StripAccents, ["lowercase"] = Normalization.Lowercase,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "BertProcessing", ["sep"] = new JsonArray(idToToken[SepId], SepId), ["cls"] = new JsonArray(idToToken[ClsId], ClsId),
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = ContinuingPrefix, ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = UnkToken, ["continuing_subword_prefix"] = ContinuingPrefix,
                ["max_input_chars_per_word"] = MaxInputCharsPerWord,
                ["vocab"] = new JsonObject(idToToken.Select((t, i) => KeyValuePair.Create(t, (JsonNode?)i))),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    public int? TokenToId(string token) => vocab.TryGetValue(token, out var id) ? id : null;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>();
        if (addSpecialTokens && ClsId >= 0) ids.Add(ClsId);
        foreach (var (segment, addedId) in SplitOnAddedTokens(text))
        {
            if (addedId is { } a) { ids.Add(a); continue; }
            foreach (var word in PreTokenize(Normalize(segment)))
                ids.AddRange(WordPiece(word));
        }
        if (addSpecialTokens && SepId >= 0) ids.Add(SepId);
        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = ids.Where(i => !(skipSpecialTokens && specialIds.Contains(i)))
            .Select(i => i >= 0 && i < idToToken.Length && idToToken[i] is { } t ? t : UnkToken);
        var text = new StringBuilder();
        foreach (var t in tokens)
        {
            if (t.StartsWith(ContinuingPrefix, StringComparison.Ordinal)) text.Append(t.AsSpan(ContinuingPrefix.Length));
            else { if (text.Length > 0) text.Append(' '); text.Append(t); }
        }
        // The WordPiece decoder's cleanup: no space before punctuation and contractions.
        return text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re").ToString();
    }

    IEnumerable<(string Text, int? AddedId)> SplitOnAddedTokens(string text)
    {
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = addedTokens.FirstOrDefault(a => string.CompareOrdinal(text, i, a.Content, 0, a.Content.Length) == 0);
            if (match.Content is null) { i++; continue; }
            if (i > start) yield return (text[start..i], null);
            yield return (match.Content, match.Id);
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) yield return (text[start..], null);
    }

    /// <summary>BertNormalizer: drop control characters, whitespace → space, spaces around CJK, strip accents, lowercase.</summary>
    public string Normalize(string text)
    {
        var n = Normalization;
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var c = rune.Value;
            if (n.CleanText)
            {
                if (c == 0 || c == 0xFFFD || IsControl(rune)) continue;
                if (IsWhitespace(rune)) { sb.Append(' '); continue; }
            }
            if (n.HandleChineseChars && IsChinese(c)) { sb.Append(' ').Append(rune.ToString()).Append(' '); continue; }
            sb.Append(rune.ToString());
        }
        var s = sb.ToString();
        if (n.StripsAccents)
        {
            var kept = new StringBuilder(s.Length);
            foreach (var ch in s)
                if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) kept.Append(BaseLetter(ch));
            s = kept.ToString();
        }
        return n.Lowercase ? s.ToLowerInvariant() : s;
    }

    /// <summary>BertPreTokenizer: split on whitespace, and every punctuation character is a word of its own.</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
            }
            else if (IsPunctuation(rune))
            {
                if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
                yield return rune.ToString();
            }
            else word.Append(rune.ToString());
        }
        if (word.Length > 0) yield return word.ToString();
    }

    /// <summary>Greedy longest-match-first WordPiece; a word with any unmatched piece becomes the unknown token.</summary>
    IEnumerable<int> WordPiece(string word)
    {
        var runes = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length > MaxInputCharsPerWord) return [vocab[UnkToken]];
        var pieces = new List<int>();
        var start = 0;
        while (start < runes.Length)
        {
            var end = runes.Length;
            int? found = null;
            while (start < end)
            {
                var piece = string.Concat(runes[start..end]);
                if (start > 0) piece = ContinuingPrefix + piece;
                if (vocab.TryGetValue(piece, out var id)) { found = id; break; }
                end--;
            }
            if (found is null) return [vocab[UnkToken]];
            pieces.Add(found.Value);
            start = end;
        }
        return pieces;
    }

    // NFD-then-drop-marks for precomposed Latin letters (U+00C0–U+017F). The project runs with invariant globalization,
    // where string.Normalize cannot decompose, so the table is built in; combining marks elsewhere are dropped above.
    const string Latin1 = "AAAAAA\u00c6CEEEEIIII\u00d0NOOOOO\u00d7\u00d8UUUUY\u00de\u00dfaaaaaa\u00e6ceeeeiiii\u00f0nooooo\u00f7\u00f8uuuuy\u00fey";
    const string LatinExtendedA = "AaAaAaCcCcCcCcDd..EeEeEeEeEeGgGgGgGgHh..IiIiIiIiI...JjKk.LlLlLl....NnNnNn...OoOoOo..RrRrRrSsSsSsSsTtTt..UuUuUuUuUuUuWwYyYZzZzZz.";

    static char BaseLetter(char c) => c switch
    {
        >= '\u00c0' and <= '\u00ff' => Latin1[c - 0xC0],
        >= '\u0100' and <= '\u017f' when LatinExtendedA[c - 0x100] != '.' => LatinExtendedA[c - 0x100],
        _ => c,
    };

    static bool IsWhitespace(Rune r) => r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;
    }

    static bool IsPunctuation(Rune r)
    {
        var c = r.Value;
        if (c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    static bool IsChinese(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>
    /// Builds a vocabulary from a corpus for a model trained from scratch: the 5 BERT special tokens, every character
    /// seen (alone and as a "##" continuation, so no word is ever unknown), then the most frequent whole words
    /// (ties broken by ordinal order, so the result is deterministic) up to <paramref name="maxVocab"/>.
    /// </summary>
    public static WordPieceTokenizer BuildWordVocabulary(IEnumerable<string> corpus, int maxVocab = 4096)
    {
        var shape = new WordPieceTokenizer(new Dictionary<string, int> { ["[UNK]"] = 0 });
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var w in PreTokenize(shape.Normalize(text)))
            {
                words[w] = words.GetValueOrDefault(w) + 1;
                foreach (var r in w.EnumerateRunes()) chars.Add(r.ToString());
            }
        var specials = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var tokens = new List<string>(specials);
        tokens.AddRange(chars);
        tokens.AddRange(chars.Select(c => "##" + c));
        var seen = tokens.ToHashSet(StringComparer.Ordinal);
        tokens.AddRange(words.Where(kv => !seen.Contains(kv.Key)).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(Math.Max(0, maxVocab - tokens.Count)).Select(kv => kv.Key));
        var vocabulary = tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        return new WordPieceTokenizer(vocabulary, new BertNormalization(), added: specials.Select(s => (s, vocabulary[s], true)));
    }
}
