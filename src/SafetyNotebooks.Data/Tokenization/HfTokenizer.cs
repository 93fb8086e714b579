using System.Text.Json;
using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Tokenization.ChatTemplates;

namespace SafetyNotebooks.Tokenization;

/// <summary>An added token of tokenizer.json (<c>added_tokens</c>); <paramref name="Lstrip"/>/<paramref name="Rstrip"/>:
/// the token swallows the whitespace on its left/right when matched; <paramref name="Normalized"/>: matched in the
/// normalized text rather than the raw text (Hugging Face semantics; it defaults to <c>!special</c>).</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Lstrip = false, bool Rstrip = false, bool? Normalized = null)
{
    public bool IsNormalized => Normalized ?? !Special;

    /// <summary>
    /// The <c>added_tokens</c> array of tokenizer.json; a bad entry (id not a non-negative integer, content not a
    /// string, single_word, which is not supported) is a <see cref="BadInputException"/> naming the field and value.
    /// </summary>
    public static IReadOnlyList<AddedToken> ListFromJson(JsonNode? addedTokens, string source = "tokenizer.json")
    {
        var list = addedTokens as JsonArray ?? [];
        return list.Select((node, i) =>
        {
            var field = $"added_tokens[{i}]";
            var a = node as JsonObject ?? throw new BadInputException("expected an object", source, field, node?.ToJsonString() ?? "null");
            bool Flag(string name) => a[name] switch
            {
                null => false,
                JsonValue v when v.TryGetValue<bool>(out var b) => b,
                var other => throw new BadInputException("expected true or false", source, $"{field}.{name}", other.ToJsonString()),
            };
            var content = a["content"] is JsonValue c && c.TryGetValue<string>(out var text) ? text
                : throw new BadInputException("expected a string", source, $"{field}.content", a["content"]?.ToJsonString() ?? "null");
            if (Flag("single_word")) throw new BadInputException("single_word added tokens are not supported", source, $"{field}.single_word", "true");
            return new AddedToken(BpeModel.Id(a["id"], source, $"{field}.id"), content, Flag("special"), Flag("lstrip"), Flag("rstrip"),
                a["normalized"] is null ? null : Flag("normalized"));
        }).ToList();
    }

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
/// A Hugging Face BPE tokenizer read from <c>tokenizer.json</c> and <c>tokenizer_config.json</c>, with the Rust
/// library's semantics step by step: added tokens matched first (raw text, then normalized text), the
/// <c>normalizer</c>, the <c>pre_tokenizer</c> chain (Split with code-point regexes, Digits, ByteLevel, Metaspace), the
/// BPE model (byte-level or SentencePiece-style with byte_fallback, ignore_merges), the <c>post_processor</c> and
/// the <c>decoder</c>. Byte-level (GPT-2, SmolLM2, Llama 3, Qwen, DeepSeek, gpt-oss) and SentencePiece-style
/// (Llama 2, Mistral, Gemma) files load; any component outside that set is refused by name.
/// </summary>
public sealed class HfTokenizer : ITextTokenizer
{
    const int MaxCachedWord = 256;
    const int MaxCacheEntries = 1 << 18;

    readonly BpeModel model;
    readonly string?[] idToToken;
    readonly HashSet<int> specialIds;
    readonly HfNormalizer? normalizer;
    readonly AddedTokenSplitter rawAdded, normalizedAdded;
    readonly IReadOnlyList<PreTokenizerStep> steps;
    readonly bool byteLevel;
    readonly HfDecoder? decoder;
    readonly PostProcessor postProcessor;
    readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheBySpan;
    readonly IReadOnlyDictionary<string, string> templateTokens;
    JinjaTemplate? parsedChatTemplate;

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Size of the base vocabulary, without added tokens that are not in it (what LitGPT calls vocab_size).</summary>
    public int BaseVocabSize { get; }

    public int VocabSize { get; }

    public string? BosToken { get; }
    public string? EosToken { get; }
    public int? BosId => BosToken is null ? null : TokenToId(BosToken);
    public int? EosId => EosToken is null ? null : TokenToId(EosToken);

    /// <summary>Whether <c>Encode(text, addSpecialTokens: true)</c> starts with BOS / ends with EOS.</summary>
    public bool AddBos => BosId is { } b && postProcessor.Before.Contains(b);
    public bool AddEos => EosId is { } e && postProcessor.After.Contains(e);

    /// <summary>The ids <c>Encode(text, addSpecialTokens: true)</c> puts before and after the text.</summary>
    public PostProcessor PostProcessor => postProcessor;

    /// <summary>The raw Jinja chat template of tokenizer_config.json, when the model has one.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The parsed tokenizer.json (for writing an extended copy).</summary>
    public JsonObject Json { get; }

    HfTokenizer(JsonObject json, JsonObject? config, string source)
    {
        Json = json;
        var modelNode = json["model"] as JsonObject ?? throw new BadInputException("missing model", source, "model");
        var type = modelNode["type"]?.GetValue<string>();
        if (type != "BPE") throw new BadInputException("only BPE tokenizers are supported (WordPiece: WordPieceTokenizer)", source, "model.type", type ?? "null");
        model = BpeModel.FromJson(modelNode, source);
        AddedTokens = AddedToken.ListFromJson(json["added_tokens"], source);
        normalizer = HfNormalizer.FromJson(json["normalizer"], source);
        (steps, byteLevel) = PreTokenizerStep.FromJson(json["pre_tokenizer"], source);
        decoder = HfDecoder.FromJson(json["decoder"], source);

        BaseVocabSize = model.Vocab.Count;
        var maxId = Math.Max(model.Vocab.Values.Max(), AddedTokens.Count == 0 ? 0 : AddedTokens.Max(a => a.Id));
        idToToken = new string?[maxId + 1];
        foreach (var (token, id) in model.Vocab) idToToken[id] = token;
        foreach (var a in AddedTokens) idToToken[a.Id] = a.Content;
        VocabSize = maxId + 1;
        specialIds = AddedTokens.Where(a => a.Special).Select(a => a.Id).ToHashSet();
        // Without a normalizer every added token is matched in the raw text.
        rawAdded = new AddedTokenSplitter(AddedTokens.Where(a => normalizer is null || !a.IsNormalized).Select(a => (a.Content, a)));
        normalizedAdded = new AddedTokenSplitter(normalizer is null ? [] : AddedTokens.Where(a => a.IsNormalized).Select(a => (normalizer.Apply(a.Content), a)));
        cacheBySpan = cache.GetAlternateLookup<ReadOnlySpan<char>>();

        static string? TokenText(JsonNode? n) => n switch { JsonValue v => v.GetValue<string>(), JsonObject o => o["content"]?.GetValue<string>(), _ => null };
        BosToken = TokenText(config?["bos_token"]);
        EosToken = TokenText(config?["eos_token"]);
        templateTokens = new[] { "bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token" }
            .Select(name => (name, text: TokenText(config?[name]))).Where(p => p.text is not null).ToDictionary(p => p.name, p => p.text!);
        postProcessor = ChoosePostProcessor(json, config, source);
        ChatTemplate = config?["chat_template"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray a => a.FirstOrDefault(t => t?["name"]?.GetValue<string>() == "default")?["template"]?.GetValue<string>(),
            _ => null,
        };
    }

    /// <summary>
    /// The ids added around a text. transformers' Llama and Gemma tokenizers rebuild the post-processor from
    /// tokenizer_config.json's <c>add_bos_token</c>/<c>add_eos_token</c>, so for those classes the flags govern;
    /// otherwise tokenizer.json's <c>post_processor</c> does, and without one the flags do.
    /// </summary>
    PostProcessor ChoosePostProcessor(JsonObject json, JsonObject? config, string source)
    {
        var fromJson = PostProcessor.FromJson(json["post_processor"], source);
        var cls = config?["tokenizer_class"]?.GetValue<string>() ?? "";
        var hasFlags = config?["add_bos_token"] is not null || config?["add_eos_token"] is not null;
        var rebuilds = cls is "LlamaTokenizer" or "LlamaTokenizerFast" or "GemmaTokenizer" or "GemmaTokenizerFast" or "CodeLlamaTokenizer" or "CodeLlamaTokenizerFast";
        if (json["post_processor"] is not null && !(rebuilds && hasFlags)) return fromJson;
        bool Flag(string name, bool fallback) => config?[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;
        var bos = Flag("add_bos_token", rebuilds) && BosId is { } b ? new[] { b } : [];
        var eos = Flag("add_eos_token", false) && EosId is { } e ? new[] { e } : [];
        return new PostProcessor(bos, eos);
    }

    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from a folder.</summary>
    public static HfTokenizer Load(string dir)
    {
        var path = Directory.Exists(dir) ? Path.Combine(dir, "tokenizer.json") : dir;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        return FromJson(ReadObject(path), File.Exists(configPath) ? ReadObject(configPath) : null, path);
    }

    public static HfTokenizer FromJson(JsonObject tokenizerJson, JsonObject? tokenizerConfig = null, string source = "tokenizer.json")
    {
        try { return new(tokenizerJson, tokenizerConfig, source); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new BadInputException($"malformed tokenizer file: {e.Message}", source, inner: e);
        }
    }

    static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not a JSON object: {e.Message}", path); }
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        var pieces = new List<Piece>();
        var next = new List<Piece>();
        rawAdded.Split(text, ids, (start, length) =>
        {
            if (normalizer is null) { EncodePiece(new Piece(text, start, length, start == 0), ids, pieces, next); return; }
            var normalized = normalizer.Apply(text.Substring(start, length));
            normalizedAdded.Split(normalized, ids, (s, l) => EncodePiece(new Piece(normalized, s, l, start == 0 && s == 0), ids, pieces, next));
        });
        return addSpecialTokens ? postProcessor.Apply(ids) : ids;
    }

    /// <summary>Pre-tokenizes a piece holding no added token and appends the model's ids of every sub-piece.</summary>
    void EncodePiece(Piece piece, List<int> ids, List<Piece> pieces, List<Piece> next)
    {
        pieces.Clear();
        pieces.Add(piece);
        foreach (var step in steps)
        {
            next.Clear();
            foreach (var p in pieces) step.Apply(p, next);
            (pieces, next) = (next, pieces);
        }
        foreach (var p in pieces) EncodeWord(p.Span, ids);
    }

    void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty) return;
        if (cacheBySpan.TryGetValue(word, out var cached)) { ids.AddRange(cached); return; }
        var output = new List<int>();
        model.Tokenize(byteLevel ? ByteLevelChars(word) : word, output);
        if (word.Length <= MaxCachedWord && cache.Count < MaxCacheEntries) cacheBySpan.TryAdd(word, output.ToArray());
        ids.AddRange(output);
    }

    /// <summary>The GPT-2 byte-level form: one printable character per UTF-8 byte.</summary>
    static string ByteLevelChars(ReadOnlySpan<char> word)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(word.ToArray());
        return string.Create(bytes.Length, bytes, (span, b) => { for (var i = 0; i < b.Length; i++) span[i] = ByteLevelTokenizer.ByteToChar[b[i]]; });
    }

    /// <summary>
    /// The text of <paramref name="ids"/> through the tokenizer's decoder (special tokens dropped with
    /// <paramref name="skipSpecialTokens"/>); without a decoder the tokens are joined by spaces, as Hugging Face does.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (id < 0 || id >= idToToken.Length || idToToken[id] is not { } token)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"id is outside the vocabulary (size {VocabSize})");
            if (skipSpecialTokens && specialIds.Contains(id)) continue;
            tokens.Add(token);
        }
        return decoder is null ? string.Join(" ", tokens) : decoder.Decode(tokens);
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
        return parsedChatTemplate.RenderChat(messages, addGenerationPrompt, templateTokens);
    }

    public int? TokenToId(string token) =>
        AddedTokens.FirstOrDefault(a => a.Content == token)?.Id ?? (model.Lookup(token) is var id and >= 0 ? id : null);

    /// <summary>The token string of an id (byte-level form for vocabulary tokens), or null.</summary>
    public string? IdToToken(int id) => id >= 0 && id < idToToken.Length ? idToToken[id] : null;

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
