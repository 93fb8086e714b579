using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// The BPE model of tokenizer.json with the Rust library's semantics: a word's characters (each with
/// <c>continuing_subword_prefix</c> / <c>end_of_word_suffix</c> where set) become symbols, characters missing from
/// the vocabulary become <c>&lt;0xXX&gt;</c> byte tokens (<c>byte_fallback</c>) or the unknown token (runs fused with
/// <c>fuse_unk</c>); then the lowest-ranked adjacent pair is merged, leftmost first, until no merge applies. With
/// <c>ignore_merges</c> a word that is itself in the vocabulary is that one token.
/// </summary>
public sealed class BpeModel
{
    readonly Dictionary<string, int> vocab;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabBySpan;
    readonly Dictionary<long, (int Rank, int NewId)> merges;
    readonly int[] byteTokens; // id of <0xXX> per byte, -1 when absent
    readonly string? prefix, suffix;

    public int? UnkId { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    public IReadOnlyDictionary<string, int> Vocab => vocab;

    BpeModel(Dictionary<string, int> vocab, Dictionary<long, (int, int)> merges, int? unkId, bool fuseUnk, bool byteFallback, bool ignoreMerges, string? prefix, string? suffix)
    {
        this.vocab = vocab;
        vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        this.merges = merges;
        UnkId = unkId; FuseUnk = fuseUnk; ByteFallback = byteFallback; IgnoreMerges = ignoreMerges;
        this.prefix = string.IsNullOrEmpty(prefix) ? null : prefix;
        this.suffix = string.IsNullOrEmpty(suffix) ? null : suffix;
        byteTokens = Enumerable.Range(0, 256).Select(b => vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1).ToArray();
    }

    /// <summary>
    /// The <c>model</c> node of tokenizer.json. Bad files are <see cref="BadInputException"/>s naming the field and value:
    /// a non-integer id, an empty vocabulary, a merge whose parts or result are not in the vocabulary, an unknown
    /// <c>unk_token</c>, dropout (random, so not reproducible).
    /// </summary>
    public static BpeModel FromJson(JsonObject model, string source)
    {
        var vocabNode = model["vocab"] as JsonObject ?? throw new BadInputException("missing or not an object", source, "model.vocab", model["vocab"]?.ToJsonString());
        if (vocabNode.Count == 0) throw new BadInputException("the vocabulary is empty", source, "model.vocab", "{}");
        var vocab = new Dictionary<string, int>(vocabNode.Count, StringComparer.Ordinal);
        foreach (var (token, value) in vocabNode) vocab[token] = Id(value, source, $"model.vocab[{Quote(token)}]");
        if (model["dropout"] is JsonValue d && d.TryGetValue<double>(out var p) && p > 0)
            throw new BadInputException("BPE dropout is random and not supported", source, "model.dropout", p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var merges = new Dictionary<long, (int, int)>();
        var list = model["merges"] as JsonArray ?? [];
        for (var rank = 0; rank < list.Count; rank++)
        {
            var (a, b) = Merge(list[rank], source, rank);
            int Lookup(string t) => vocab.TryGetValue(t, out var id) ? id
                : throw new BadInputException($"merge {rank} names a token that is not in the vocabulary", source, $"model.merges[{rank}]", t);
            merges[Key(Lookup(a), Lookup(b))] = (rank, Lookup(a + b));
        }
        var unk = model["unk_token"]?.GetValue<string>();
        int? unkId = unk is null ? null : vocab.TryGetValue(unk, out var u) ? u
            : throw new BadInputException("the unknown token is not in the vocabulary", source, "model.unk_token", unk);
        return new(vocab, merges, unkId, Flag(model, "fuse_unk"), Flag(model, "byte_fallback"), Flag(model, "ignore_merges"),
            model["continuing_subword_prefix"]?.GetValue<string>(), model["end_of_word_suffix"]?.GetValue<string>());
    }

    static bool Flag(JsonObject o, string name) => o[name]?.GetValue<bool>() ?? false;

    static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>An id: a non-negative integer that fits in an int.</summary>
    public static int Id(JsonNode? value, string source, string field) =>
        value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && (v.TryGetValue<int>(out var i) || (v.TryGetValue<long>(out var l) && (i = l is >= 0 and <= int.MaxValue ? (int)l : -1) >= 0)) && i >= 0 ? i
            : throw new BadInputException("not a non-negative integer id", source, field, value?.ToJsonString() ?? "null");

    static (string, string) Merge(JsonNode? m, string source, int rank)
    {
        switch (m)
        {
            case JsonArray pair when pair.Count == 2 && pair[0] is JsonValue x && x.TryGetValue<string>(out var a) && pair[1] is JsonValue y && y.TryGetValue<string>(out var b):
                return (a, b);
            case JsonValue v when v.TryGetValue<string>(out var s):
                var space = s.IndexOf(' ', 1 < s.Length ? 1 : 0);
                if (space > 0 && s.IndexOf(' ', space + 1) < 0) return (s[..space], s[(space + 1)..]);
                break;
        }
        throw new BadInputException("a merge must be \"a b\" or [\"a\", \"b\"]", source, $"model.merges[{rank}]", m?.ToJsonString() ?? "null");
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>The id of a vocabulary token, or -1.</summary>
    public int Lookup(ReadOnlySpan<char> token) => vocabBySpan.TryGetValue(token, out var id) ? id : -1;

    /// <summary>Appends the ids of one word (already in the model's alphabet, e.g. byte-level characters).</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        if (IgnoreMerges && Lookup(word) is var whole and >= 0) { output.Add(whole); return; }
        var symbols = InitialSymbols(word);
        MergeAll(symbols);
        output.AddRange(symbols);
    }

    List<int> InitialSymbols(ReadOnlySpan<char> word)
    {
        var symbols = new List<int>(word.Length);
        int? pendingUnk = null;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < word.Length;)
        {
            var n = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var ch = word.Slice(i, n);
            var first = i == 0;
            i += n;
            var id = Lookup(Affixed(ch, first, i == word.Length));
            if (id >= 0)
            {
                if (pendingUnk is { } p) { symbols.Add(p); pendingUnk = null; }
                symbols.Add(id);
                continue;
            }
            if (ByteFallback && FallbackBytes(ch, utf8, symbols)) continue;
            if (UnkId is { } unk)
            {
                if (pendingUnk is not null && !FuseUnk) symbols.Add(unk);
                pendingUnk = unk;
            }
        }
        if (pendingUnk is { } last) symbols.Add(last);
        return symbols;
    }

    ReadOnlySpan<char> Affixed(ReadOnlySpan<char> ch, bool first, bool last)
    {
        if ((prefix is null || first) && (suffix is null || !last)) return ch;
        return string.Concat(first || prefix is null ? "" : prefix, ch.ToString(), !last || suffix is null ? "" : suffix);
    }

    /// <summary>byte_fallback: the UTF-8 bytes of an unknown character as &lt;0xXX&gt; tokens, when all exist.</summary>
    bool FallbackBytes(ReadOnlySpan<char> ch, Span<byte> utf8, List<int> symbols)
    {
        var count = Encoding.UTF8.GetBytes(ch, utf8);
        for (var k = 0; k < count; k++) if (byteTokens[utf8[k]] < 0) return false;
        for (var k = 0; k < count; k++) symbols.Add(byteTokens[utf8[k]]);
        return true;
    }

    /// <summary>
    /// Merges as the Rust library does: a heap of (rank, position) over a linked list of symbols; an entry is applied
    /// when the pair now at its position still merges to the same id (so even vocabularies where two merges give the
    /// same token behave identically).
    /// </summary>
    void MergeAll(List<int> symbols)
    {
        var n = symbols.Count;
        if (n < 2) return;
        var id = symbols.ToArray();
        var prev = new int[n]; var next = new int[n]; var alive = new bool[n];
        for (var i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; alive[i] = true; }
        var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>();
        void Push(int pos)
        {
            var right = next[pos];
            if (right >= 0 && merges.TryGetValue(Key(id[pos], id[right]), out var m)) queue.Enqueue((pos, m.NewId), (m.Rank, pos));
        }
        for (var i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var top, out _))
        {
            var (pos, newId) = top;
            var right = next[pos];
            if (!alive[pos] || right < 0 || !merges.TryGetValue(Key(id[pos], id[right]), out var m) || m.NewId != newId) continue;
            id[pos] = newId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) Push(prev[pos]);
            Push(pos);
        }
        symbols.Clear();
        for (var i = 0; i >= 0; i = next[i]) symbols.Add(id[i]);
    }
}
