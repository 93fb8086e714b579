using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Tokenization.ChatTemplates;

namespace SafetyNotebooks.Tokenization;

/// <summary>An added token of tokenizer.json (<c>added_tokens</c>); <paramref name="Lstrip"/>/<paramref name="Rstrip"/>:
/// the token swallows the whitespace on its left/right when matched; <paramref name="Normalized"/>: matched in the
/// normalized text rather than the raw text (Hugging Face semantics; it defaults to <c>!special</c>).</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Lstrip = false, bool Rstrip = false, bool? Normalized = null)
{
    public bool IsNormalized => Normalized ?? !Special;

    /// <summary>The <c>added_tokens</c> array of tokenizer.json.</summary>
    public static IReadOnlyList<AddedToken> ListFromJson(JsonNode? addedTokens) =>
        (addedTokens as JsonArray ?? []).OfType<JsonObject>().Select(a => new AddedToken(
            a["id"]!.GetValue<int>(), a["content"]!.GetValue<string>(), a["special"]?.GetValue<bool>() ?? false,
            a["lstrip"]?.GetValue<bool>() ?? false, a["rstrip"]?.GetValue<bool>() ?? false, a["normalized"]?.GetValue<bool>())).ToList();

    /// <summary>
    /// Where a match of this token at [<paramref name="index"/>, +<paramref name="length"/>) really starts and ends in
    /// <paramref name="text"/>: with lstrip it swallows the whitespace on its left (not before <paramref name="floor"/>,
    /// the end of the previous match), with rstrip the whitespace on its right.
    /// </summary>
    public (int Start, int End) Swallow(string text, int floor, int index, int length)
    {
        var start = index;
        if (Lstrip) while (start > floor && char.IsWhiteSpace(text[start - 1])) start--;
        var end = index + length;
        if (Rstrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
        return (start, end);
    }

    /// <summary>A regex matching any of <paramref name="contents"/>, longest first (as added tokens are matched), or null.</summary>
    public static Regex? Pattern(IEnumerable<string> contents)
    {
        var alternatives = contents.Where(c => c.Length > 0).Distinct(StringComparer.Ordinal)
            .OrderByDescending(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).Select(Regex.Escape).ToList();
        return alternatives.Count == 0 ? null : new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
    }
}

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (GPT-2 / SmolLM2 / Llama-3 style) read from <c>tokenizer.json</c> and
/// <c>tokenizer_config.json</c>: vocabulary and merges drive Microsoft.ML.Tokenizers' BPE, the
/// <c>pre_tokenizer</c> chain (ByteLevel, Digits, Split, Sequence) is reproduced step by step, and added tokens
/// (special tokens, the harmfulness tag) are matched in the raw text first so that each is exactly one id.
/// </summary>
public sealed class HfTokenizer : ITextTokenizer
{
    readonly BpeTokenizer bpe;
    readonly Dictionary<string, int> vocab;
    readonly Dictionary<int, string> idToToken;
    readonly HashSet<int> specialIds;
    // With a normalizer, added tokens are matched around it (NormalizedEncoding) and the rest goes to plainBpe.
    readonly NormalizedEncoding? normalized;
    readonly BpeTokenizer? plainBpe;
    JinjaTemplate? parsedChatTemplate;

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Size of the base vocabulary, without added tokens that are not in it (what LitGPT calls vocab_size).</summary>
    public int BaseVocabSize { get; }

    public int VocabSize { get; }

    public string? BosToken { get; }
    public string? EosToken { get; }
    public int? BosId => BosToken is null ? null : TokenToId(BosToken);
    public int? EosId => EosToken is null ? null : TokenToId(EosToken);

    /// <summary>Whether <c>Encode(text, addSpecialTokens: true)</c> adds BOS / EOS (tokenizer_config add_bos_token / add_eos_token).</summary>
    public bool AddBos { get; }
    public bool AddEos { get; }

    /// <summary>The raw Jinja chat template of tokenizer_config.json, when the model has one.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The parsed tokenizer.json (for writing an extended copy).</summary>
    public JsonObject Json { get; }

    HfTokenizer(JsonObject json, JsonObject? config, string source)
    {
        Json = json;
        var model = json["model"] as JsonObject ?? throw new BadInputException("missing model", source, "model");
        var type = model["type"]?.GetValue<string>();
        if (type != "BPE") throw new BadInputException("only byte-level BPE tokenizers are supported", source, "model.type", type ?? "null");
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw new BadInputException("SentencePiece-style BPE (byte_fallback) is not supported, only byte-level BPE", source, "model.byte_fallback", "true");

        vocab = (model["vocab"] as JsonObject ?? throw new BadInputException("missing", source, "model.vocab"))
            .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal);
        var merges = (model["merges"] as JsonArray ?? []).Select(m => m switch
        {
            JsonArray pair when pair.Count == 2 => $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}",
            JsonValue v => v.GetValue<string>(),
            _ => throw new BadInputException("merge must be \"a b\" or [a, b]", source, "model.merges", m?.ToJsonString()),
        }).ToList();
        AddedTokens = AddedToken.ListFromJson(json["added_tokens"]);
        normalized = HfNormalizer.FromJson(json["normalizer"], source) is { } normalizer ? NormalizedEncoding.Create(normalizer, AddedTokens) : null;

        idToToken = vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        BaseVocabSize = vocab.Count;
        foreach (var a in AddedTokens) idToToken[a.Id] = a.Content;
        VocabSize = idToToken.Count == 0 ? 0 : idToToken.Keys.Max() + 1;
        specialIds = AddedTokens.Where(a => a.Special).Select(a => a.Id).ToHashSet();

        var specials = AddedTokens.ToDictionary(a => a.Content, a => a.Id, StringComparer.Ordinal);
        var steps = PreTokenizerSteps(json["pre_tokenizer"], source, "pre_tokenizer");
        bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials.Count == 0 ? null : specials,
            PreTokenizer = new HfPreTokenizer(steps, AddedTokens),
        });
        if (normalized is not null)
            plainBpe = BpeTokenizer.Create(new BpeOptions(vocab) { Merges = merges, ByteLevel = true, PreTokenizer = new HfPreTokenizer(steps, Array.Empty<AddedToken>()) });

        static string? TokenText(JsonNode? n) => n switch { JsonValue v => v.GetValue<string>(), JsonObject o => o["content"]?.GetValue<string>(), _ => null };
        BosToken = TokenText(config?["bos_token"]);
        EosToken = TokenText(config?["eos_token"]);
        AddBos = config?["add_bos_token"]?.GetValue<bool>() ?? false;
        AddEos = config?["add_eos_token"]?.GetValue<bool>() ?? false;
        ChatTemplate = config?["chat_template"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray a => a.FirstOrDefault(t => t?["name"]?.GetValue<string>() == "default")?["template"]?.GetValue<string>(),
            _ => null,
        };
    }

    static List<PreTokenizeStep> PreTokenizerSteps(JsonNode? node, string source, string field)
    {
        if (node is null) return [];
        var type = node["type"]?.GetValue<string>();
        switch (type)
        {
            case "Sequence":
                return (node["pretokenizers"] as JsonArray ?? []).SelectMany((p, i) => PreTokenizerSteps(p, source, $"{field}.pretokenizers[{i}]")).ToList();
            case "ByteLevel":
                if (node["add_prefix_space"]?.GetValue<bool>() == true)
                    throw new BadInputException("add_prefix_space=true is not supported", source, $"{field}.add_prefix_space", "true");
                return node["use_regex"]?.GetValue<bool>() == false ? [] : [RegexSplit.Gpt2];
            case "Digits":
                return [new DigitsSplit(node["individual_digits"]?.GetValue<bool>() ?? false)];
            case "Split":
                var behavior = node["behavior"]?.GetValue<string>();
                if (behavior != "Isolated") throw new BadInputException("only Isolated splits are supported", source, $"{field}.behavior", behavior ?? "null");
                var pattern = node["pattern"]?["Regex"]?.GetValue<string>() ?? Regex.Escape(node["pattern"]?["String"]?.GetValue<string>() ?? throw new BadInputException("missing pattern", source, $"{field}.pattern"));
                return [new RegexSplit(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant))];
            default:
                throw new BadInputException("unsupported pre-tokenizer", source, $"{field}.type", type ?? "null");
        }
    }

    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from a folder.</summary>
    public static HfTokenizer Load(string dir)
    {
        var path = Directory.Exists(dir) ? Path.Combine(dir, "tokenizer.json") : dir;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        return FromJson(ReadObject(path), File.Exists(configPath) ? ReadObject(configPath) : null, path);
    }

    public static HfTokenizer FromJson(JsonObject tokenizerJson, JsonObject? tokenizerConfig = null, string source = "tokenizer.json") =>
        new(tokenizerJson, tokenizerConfig, source);

    static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not a JSON object: {e.Message}", path); }
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        var ids = normalized is null
            ? bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false)
            : normalized.Encode(text, piece => plainBpe!.EncodeToIds(piece, considerPreTokenization: true, considerNormalization: false));
        if (!addSpecialTokens || (!AddBos && !AddEos)) return ids;
        var result = new List<int>(ids.Count + 2);
        if (AddBos && BosId is { } b) result.Add(b);
        result.AddRange(ids);
        if (AddEos && EosId is { } e) result.Add(e);
        return result;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var list = skipSpecialTokens ? ids.Where(i => !specialIds.Contains(i)).ToList() : ids.ToList();
        foreach (var id in list)
            if (!idToToken.ContainsKey(id)) throw new ArgumentOutOfRangeException(nameof(ids), id, $"id is outside the vocabulary (size {VocabSize})");
        return bpe.Decode(list, considerSpecialTokens: true);
    }

    /// <summary>
    /// Renders a conversation with the tokenizer's chat template as Hugging Face's <c>apply_chat_template(...,
    /// tokenize=False)</c> does (bos_token and eos_token from tokenizer_config.json). A template outside the supported
    /// Jinja subset, or one that calls <c>raise_exception</c>, is a <see cref="BadInputException"/> naming the position.
    /// </summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true)
    {
        var template = ChatTemplate ?? throw new BadInputException("the tokenizer has no chat template", "tokenizer_config.json", "chat_template");
        parsedChatTemplate ??= JinjaTemplate.Parse(template);
        var tokens = new Dictionary<string, string>();
        if (BosToken is not null) tokens["bos_token"] = BosToken;
        if (EosToken is not null) tokens["eos_token"] = EosToken;
        return parsedChatTemplate.RenderChat(messages, addGenerationPrompt, tokens);
    }

    public int? TokenToId(string token) =>
        AddedTokens.FirstOrDefault(a => a.Content == token)?.Id ?? (vocab.TryGetValue(token, out var id) ? id : null);

    /// <summary>The token string of an id (byte-level form for vocabulary tokens), or null.</summary>
    public string? IdToToken(int id) => idToToken.GetValueOrDefault(id);

    /// <summary>
    /// A copy of this tokenizer's json with <paramref name="token"/> added as a special token (id = current vocab size)
    /// when it is not already present; returns the json and the token's id.
    /// </summary>
    public (JsonObject Json, int Id) WithSpecialToken(string token)
    {
        var copy = Json.DeepClone().AsObject();
        if (TokenToId(token) is { } existing) return (copy, existing);
        var id = VocabSize;
        if (copy["added_tokens"] is not JsonArray added) copy["added_tokens"] = added = [];
        added.Add(new JsonObject
        {
            ["id"] = id, ["content"] = token, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        });
        return (copy, id);
    }
}
