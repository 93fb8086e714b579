using System.Text;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// A tokenizer.json <c>decoder</c>: a chain step from token strings to strings, joined at the end (Rust
/// <c>decode_chain</c>). Supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence; anything else
/// is refused by name.
/// </summary>
public abstract record HfDecoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public string Decode(List<string> tokens) => string.Concat(DecodeChain(tokens));

    public static HfDecoder? FromJson(JsonNode? node, string source, string field = "decoder")
    {
        if (node is null) return null;
        var type = node["type"]?.GetValue<string>();
        return type switch
        {
            "ByteLevel" => new ByteLevelDecoder(),
            "Replace" => new ReplaceDecoder(Patterns.FromJson(node["pattern"], source, $"{field}.pattern"), node["content"]?.GetValue<string>() ?? ""),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(Char(node["content"], source, $"{field}.content"), node["start"]?.GetValue<int>() ?? 0, node["stop"]?.GetValue<int>() ?? 0),
            "Metaspace" => new MetaspaceDecoder(Char(node["replacement"] ?? "▁", source, $"{field}.replacement"), MetaspaceStep.SchemeOf(node, source, field)),
            "Sequence" => new SequenceDecoder((node["decoders"] as JsonArray ?? throw new BadInputException("missing", source, $"{field}.decoders"))
                .Select((d, i) => FromJson(d, source, $"{field}.decoders[{i}]") ?? throw new BadInputException("null decoder", source, $"{field}.decoders[{i}]")).ToList()),
            _ => throw new BadInputException("unsupported decoder", source, $"{field}.type", type ?? "null"),
        };
    }

    static char Char(JsonNode? n, string source, string field) =>
        n?.GetValue<string>() is { Length: 1 } s ? s[0] : throw new BadInputException("expected one character", source, field, n?.ToJsonString() ?? "null");
}

public sealed record SequenceDecoder(IReadOnlyList<HfDecoder> Steps) : HfDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => Steps.Aggregate(tokens, (t, d) => d.DecodeChain(t));
}

/// <summary>Byte-level characters back to bytes (a token with any other character keeps its UTF-8), then lossy UTF-8.</summary>
public sealed record ByteLevelDecoder : HfDecoder
{
    static readonly Dictionary<char, byte> ByteOf = ByteLevelTokenizer.ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
            if (t.All(ByteOf.ContainsKey)) foreach (var c in t) bytes.Add(ByteOf[c]);
            else bytes.AddRange(Encoding.UTF8.GetBytes(t));
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

public sealed record ReplaceDecoder(CodePointRegex Pattern, string Content) : HfDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t => Pattern.Replace(t, Content)).ToList();
}

/// <summary>Runs of &lt;0xXX&gt; tokens become their UTF-8 text, or one U+FFFD per byte when it is not valid UTF-8.</summary>
public sealed record ByteFallbackDecoder : HfDecoder
{
    static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0) return;
            try { output.Add(Strict.GetString(pending.ToArray())); }
            catch (DecoderFallbackException) { for (var i = 0; i < pending.Count; i++) output.Add("\uFFFD"); }
            pending.Clear();
        }
        foreach (var t in tokens)
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                pending.Add(b);
            else { Flush(); output.Add(t); }
        Flush();
        return output;
    }
}

public sealed record FuseDecoder : HfDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <paramref name="Start"/> leading and <paramref name="Stop"/> trailing <paramref name="Content"/> characters of each token.</summary>
public sealed record StripDecoder(char Content, int Start, int Stop) : HfDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t =>
    {
        var runes = t.EnumerateRunes().ToList();
        var from = 0;
        while (from < Math.Min(Start, runes.Count) && runes[from].Value == Content) from++;
        var to = runes.Count;
        for (var i = 0; i < Stop && to - 1 >= from && runes[to - 1].Value == Content; i++) to--;
        return string.Concat(runes.Skip(from).Take(to - from).Select(r => r.ToString()));
    }).ToList();
}

/// <summary>The replacement becomes a space; in the first token (when a prefix is prepended) it is dropped.</summary>
public sealed record MetaspaceDecoder(char Replacement, PrependScheme Scheme) : HfDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select((t, i) =>
    {
        var b = new StringBuilder(t.Length);
        foreach (var c in t)
            if (c != Replacement) b.Append(c);
            else if (!(i == 0 && Scheme != PrependScheme.Never)) b.Append(' ');
        return b.ToString();
    }).ToList();
}
