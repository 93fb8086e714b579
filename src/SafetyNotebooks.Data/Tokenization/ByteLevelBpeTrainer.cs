using System.Text;

namespace SafetyNotebooks.Tokenization;

/// <summary>How a byte-level BPE vocabulary is learned.</summary>
/// <param name="Merges">At most this many merges (the vocabulary grows by one token per merge, at most).</param>
/// <param name="MinFrequency">Stop when the most frequent pair occurs fewer times than this.</param>
public sealed record BpeTrainingOptions(int Merges = 2000, int MinFrequency = 2);

/// <summary>
/// Learns byte-level BPE merges (GPT-2 / SmolLM2 style) from texts, the way Hugging Face's BpeTrainer does: texts are
/// split with the GPT-2 pattern, each piece is written in the byte alphabet, and the most frequent adjacent pair is
/// merged repeatedly. Deterministic: ties go to the ordinally smallest pair. Added tokens in the texts (EOS, the tag)
/// are cut out first, so they never take part in a merge.
/// </summary>
public static class ByteLevelBpeTrainer
{
    /// <summary>The merges, in order.</summary>
    public static IReadOnlyList<(string Left, string Right)> Train(IEnumerable<string> texts, BpeTrainingOptions options, IEnumerable<string>? addedTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Merges);
        var added = (addedTokens ?? [ByteLevelTokenizer.EndOfText, ByteLevelTokenizer.HarmfulnessTag]).ToHashSet(StringComparer.Ordinal);
        // The same split as encoding: added tokens cut out, then GPT-2's regex on code points.
        var addedSplitter = new AddedTokenSplitter(added.Select(a => (a, new AddedToken(-1, a, Special: true))));
        var gpt2 = new SplitStep(PreTokenizerStep.Gpt2Regex, SplitBehavior.Isolated, Invert: false);

        // word (in byte-alphabet form) → count; pieces are what merges may never cross
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var pieces = new List<Piece>();
        foreach (var text in texts)
            addedSplitter.Split(text, [], (start, length) =>
            {
                pieces.Clear();
                gpt2.Apply(new Piece(text, start, length, start == 0), pieces);
                foreach (var p in pieces)
                {
                    var word = ToByteAlphabet(p.ToString());
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
            });

        // symbols as ids into `tokens`; words ordered for a deterministic walk
        var tokens = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string t)
        {
            if (!ids.TryGetValue(t, out var id)) { ids[t] = id = tokens.Count; tokens.Add(t); }
            return id;
        }
        var words = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: kv.Key.Select(c => Id(c.ToString())).ToList(), Count: kv.Value)).ToList();

        var merges = new List<(string, string)>(options.Merges);
        var pairs = new Dictionary<(int, int), long>();
        while (merges.Count < options.Merges)
        {
            pairs.Clear();
            foreach (var (symbols, count) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairs.Count == 0) break;
            var best = pairs.Aggregate((a, b) =>
                a.Value != b.Value ? (a.Value > b.Value ? a : b)
                : Compare(tokens, a.Key, b.Key) <= 0 ? a : b);
            if (best.Value < options.MinFrequency) break;
            var (left, right) = best.Key;
            var merged = Id(tokens[left] + tokens[right]);
            merges.Add((tokens[left], tokens[right]));
            foreach (var (symbols, _) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return merges;
    }

    static int Compare(List<string> tokens, (int, int) a, (int, int) b)
    {
        var c = string.CompareOrdinal(tokens[a.Item1], tokens[b.Item1]);
        return c != 0 ? c : string.CompareOrdinal(tokens[a.Item2], tokens[b.Item2]);
    }

    /// <summary>A piece of text in GPT-2's byte alphabet (one printable char per UTF-8 byte), as byte-level vocabularies write tokens.</summary>
    public static string ToByteAlphabet(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes) sb.Append(ByteLevelTokenizer.ByteToChar[b]);
        return sb.ToString();
    }
}
