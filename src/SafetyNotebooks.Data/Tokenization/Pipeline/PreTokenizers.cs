using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// A piece of text during pre-tokenization: <paramref name="Text"/>[<paramref name="Start"/>, +<paramref name="Length"/>).
/// <paramref name="AtStart"/>: the piece begins at offset 0 of the original input (what Metaspace's
/// <c>prepend_scheme: first</c> asks).
/// </summary>
public readonly record struct Piece(string Text, int Start, int Length, bool AtStart)
{
    public ReadOnlySpan<char> Span => Text.AsSpan(Start, Length);
    public override string ToString() => Text.Substring(Start, Length);
}

/// <summary>How a Split keeps its matches (Rust <c>SplitDelimiterBehavior</c>).</summary>
public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>One step of a tokenizer.json <c>pre_tokenizer</c>: pieces in, pieces out, in order.</summary>
public abstract record PreTokenizerStep
{
    public abstract void Apply(Piece piece, List<Piece> output);

    /// <summary>
    /// The steps of a <c>pre_tokenizer</c> node (Sequence flattened). Supported: Split, Digits, ByteLevel (last),
    /// Metaspace; anything else is refused by name. Returns the steps and whether the pipeline is byte-level.
    /// </summary>
    public static (IReadOnlyList<PreTokenizerStep> Steps, bool ByteLevel) FromJson(JsonNode? node, string source, string field = "pre_tokenizer")
    {
        var steps = new List<PreTokenizerStep>();
        var byteLevel = false;
        void Add(JsonNode? n, string f)
        {
            if (n is null) return;
            if (byteLevel) throw new BadInputException("a pre-tokenizer after ByteLevel is not supported", source, f, n["type"]?.ToString());
            var type = n["type"]?.GetValue<string>();
            switch (type)
            {
                case "Sequence":
                    var list = n["pretokenizers"] as JsonArray ?? throw new BadInputException("missing", source, $"{f}.pretokenizers");
                    for (var i = 0; i < list.Count; i++) Add(list[i], $"{f}.pretokenizers[{i}]");
                    break;
                case "Split":
                    steps.Add(new SplitStep(Patterns.FromJson(n["pattern"], source, $"{f}.pattern"), Behavior(n["behavior"], source, $"{f}.behavior"), n["invert"]?.GetValue<bool>() ?? false));
                    break;
                case "Digits":
                    steps.Add(new DigitsStep(n["individual_digits"]?.GetValue<bool>() ?? false));
                    break;
                case "ByteLevel":
                    if (n["add_prefix_space"]?.GetValue<bool>() == true) steps.Add(new PrefixSpaceStep());
                    if (n["use_regex"]?.GetValue<bool>() ?? true) steps.Add(new SplitStep(Gpt2Regex, SplitBehavior.Isolated, false));
                    byteLevel = true;
                    break;
                case "Metaspace":
                    steps.Add(MetaspaceStep.Parse(n, source, f));
                    break;
                default:
                    throw new BadInputException("unsupported pre-tokenizer", source, $"{f}.type", type ?? "null");
            }
        }
        Add(node, field);
        return (steps, byteLevel);
    }

    /// <summary>GPT-2's byte-level split pattern (ByteLevel with use_regex).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's split (the ByteLevel pre-tokenizer with use_regex).</summary>
    public static CodePointRegex Gpt2Regex { get; } = CodePointRegex.Create(Gpt2Pattern, "ByteLevel", "pattern");

    static SplitBehavior Behavior(JsonNode? node, string source, string field) => node?.GetValue<string>() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var other => throw new BadInputException("unknown split behavior", source, field, other ?? "null"),
    };

    /// <summary>Rust's <c>NormalizedString::split</c>: (offset, length, isMatch) segments covering the piece, combined by behaviour.</summary>
    public static void Combine(Piece piece, List<(int Offset, int Length, bool IsMatch)> segments, SplitBehavior behavior, List<Piece> output)
    {
        var merged = new List<(int Offset, int Length, bool IsMatch)>(segments.Count);
        var previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Removed:
                merged.AddRange(segments.Where(s => !s.IsMatch));
                break;
            case SplitBehavior.Isolated:
                merged.AddRange(segments);
                break;
            case SplitBehavior.MergedWithPrevious:
            case SplitBehavior.Contiguous:
                foreach (var s in segments)
                {
                    var join = behavior == SplitBehavior.MergedWithPrevious ? s.IsMatch && !previousMatch : s.IsMatch == previousMatch;
                    if (join && merged.Count > 0) { var l = merged[^1]; merged[^1] = (l.Offset, s.Offset + s.Length - l.Offset, false); }
                    else merged.Add((s.Offset, s.Length, false));
                    previousMatch = s.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (var i = segments.Count - 1; i >= 0; i--)
                {
                    var s = segments[i];
                    if (s.IsMatch && !previousMatch && merged.Count > 0) { var l = merged[^1]; merged[^1] = (s.Offset, l.Offset + l.Length - s.Offset, false); }
                    else merged.Add((s.Offset, s.Length, false));
                    previousMatch = s.IsMatch;
                }
                merged.Reverse();
                break;
        }
        foreach (var (offset, length, _) in merged)
            if (length > 0) output.Add(new Piece(piece.Text, offset, length, piece.AtStart && offset == piece.Start));
    }
}

/// <summary>Split by a regex or literal (tokenizer.json <c>Split</c>), with code-point semantics.</summary>
public sealed record SplitStep(CodePointRegex Pattern, SplitBehavior Behavior, bool Invert) : PreTokenizerStep
{
    public override void Apply(Piece piece, List<Piece> output)
    {
        var matches = new List<(int Offset, int Length)>();
        Pattern.Matches(piece.Text, piece.Start, piece.Length, matches);
        if (Behavior == SplitBehavior.Isolated && !Invert) { Isolated(piece, matches, output); return; }
        var segments = new List<(int, int, bool)>(matches.Count * 2 + 1);
        var at = piece.Start;
        foreach (var (o, l) in matches)
        {
            if (o > at) segments.Add((at, o - at, Invert));
            segments.Add((o, l, !Invert));
            at = o + l;
        }
        if (at < piece.Start + piece.Length) segments.Add((at, piece.Start + piece.Length - at, Invert));
        Combine(piece, segments, Behavior, output);
    }

    /// <summary>The common case without the segment list: every match and every gap is a piece.</summary>
    static void Isolated(Piece piece, List<(int Offset, int Length)> matches, List<Piece> output)
    {
        var at = piece.Start;
        foreach (var (o, l) in matches)
        {
            if (l == 0) continue;
            if (o > at) output.Add(piece with { Start = at, Length = o - at, AtStart = piece.AtStart && at == piece.Start });
            output.Add(piece with { Start = o, Length = l, AtStart = piece.AtStart && o == piece.Start });
            at = o + l;
        }
        var end = piece.Start + piece.Length;
        if (at < end) output.Add(piece with { Start = at, Length = end - at, AtStart = piece.AtStart && at == piece.Start });
    }
}

/// <summary><c>Digits</c>: numeric characters (Rust <c>char::is_numeric</c>: categories Nd, Nl, No) split off, one by one or in runs.</summary>
public sealed record DigitsStep(bool IndividualDigits) : PreTokenizerStep
{
    public override void Apply(Piece piece, List<Piece> output)
    {
        var segments = new List<(int, int, bool)>();
        var s = piece.Span;
        var gapStart = 0;
        for (var i = 0; i < s.Length;)
        {
            Rune.DecodeFromUtf16(s[i..], out var rune, out var n);
            if (IsNumeric(rune))
            {
                if (gapStart < i) segments.Add((piece.Start + gapStart, i - gapStart, false));
                segments.Add((piece.Start + i, n, true));
                gapStart = i + n;
            }
            i += n;
        }
        if (gapStart < s.Length) segments.Add((piece.Start + gapStart, s.Length - gapStart, false));
        Combine(piece, segments, IndividualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, output);
    }

    public static bool IsNumeric(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
}

/// <summary>ByteLevel's <c>add_prefix_space</c>: a space before every piece that does not start with one.</summary>
public sealed record PrefixSpaceStep : PreTokenizerStep
{
    public override void Apply(Piece piece, List<Piece> output) =>
        output.Add(piece.Span.StartsWith(" ") ? piece : new Piece(" " + piece.ToString(), 0, piece.Length + 1, piece.AtStart));
}

/// <summary>When Metaspace prepends its replacement character (Rust <c>PrependScheme</c>).</summary>
public enum PrependScheme { Always, First, Never }

/// <summary><c>Metaspace</c>: spaces become the replacement ("▁"), which is prepended as the scheme says; optionally split before each.</summary>
public sealed record MetaspaceStep(char Replacement, PrependScheme Scheme, bool SplitPieces) : PreTokenizerStep
{
    public static MetaspaceStep Parse(JsonNode n, string source, string field)
    {
        var replacement = n["replacement"]?.GetValue<string>() ?? "▁";
        if (replacement.Length != 1) throw new BadInputException("the replacement must be one character", source, $"{field}.replacement", replacement);
        return new(replacement[0], SchemeOf(n, source, field), n["split"]?.GetValue<bool>() ?? true);
    }

    /// <summary>prepend_scheme, or the older add_prefix_space (true = always).</summary>
    public static PrependScheme SchemeOf(JsonNode n, string source, string field) => n["prepend_scheme"]?.GetValue<string>() switch
    {
        "always" => PrependScheme.Always,
        "first" => PrependScheme.First,
        "never" => PrependScheme.Never,
        null => n["add_prefix_space"]?.GetValue<bool>() == false ? PrependScheme.Never : PrependScheme.Always,
        var other => throw new BadInputException("unknown prepend_scheme", source, $"{field}.prepend_scheme", other),
    };

    public override void Apply(Piece piece, List<Piece> output)
    {
        var text = piece.ToString().Replace(' ', Replacement);
        var prepend = Scheme == PrependScheme.Always || (Scheme == PrependScheme.First && piece.AtStart);
        if (prepend && (text.Length == 0 || text[0] != Replacement)) text = Replacement + text;
        var whole = new Piece(text, 0, text.Length, piece.AtStart);
        if (!SplitPieces) { output.Add(whole); return; }
        var segments = new List<(int, int, bool)>();
        var gap = 0;
        for (var i = 0; i < text.Length; i++)
            if (text[i] == Replacement)
            {
                if (gap < i) segments.Add((gap, i - gap, false));
                segments.Add((i, 1, true));
                gap = i + 1;
            }
        if (gap < text.Length) segments.Add((gap, text.Length - gap, false));
        Combine(whole, segments, SplitBehavior.MergedWithNext, output);
    }
}

/// <summary>Split/Replace patterns of tokenizer.json: <c>{"String": s}</c> (literal) or <c>{"Regex": r}</c>.</summary>
public static class Patterns
{
    public static CodePointRegex FromJson(JsonNode? node, string source, string field)
    {
        if (node?["String"]?.GetValue<string>() is { } literal) return CodePointRegex.Literal(literal);
        if (node?["Regex"]?.GetValue<string>() is { } regex) return CodePointRegex.Create(regex, source, $"{field}.Regex");
        throw new BadInputException("expected {\"String\": ...} or {\"Regex\": ...}", source, field, node?.ToJsonString());
    }
}
