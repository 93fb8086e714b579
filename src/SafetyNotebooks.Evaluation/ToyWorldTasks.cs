using System.Text.RegularExpressions;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Multiple-choice tasks about the toy world, for the CPU demo of the general-benchmark evaluation (Table 1 in
/// miniature). A cloze item takes a sentence of a held-out toy document, gives the model the previous sentence and the
/// sentence's first half, and asks which of four second halves follows; the distractors are second halves of other
/// held-out sentences. A model that learned the toy world's language beats the 25% chance level.
/// </summary>
public static partial class ToyWorldTasks
{
    [GeneratedRegex(@"(?<=[.!?])\s+|\n+")]
    private static partial Regex SentenceBreak();

    /// <summary>A deterministic cloze task of <paramref name="items"/> items from <paramref name="documents"/>.</summary>
    public static McTask Cloze(string name, IEnumerable<Document> documents, int items, long seed, int options = 4)
    {
        if (items < 1) throw new BadInputException("must be at least 1", name, "items", items.ToString());
        if (options < 2) throw new BadInputException("must be at least 2", name, "options", options.ToString());
        // (previous sentence, first half, second half) of every sentence with at least 6 words.
        var candidates = new List<(string Previous, string Head, string Tail)>();
        foreach (var doc in documents)
        {
            var sentences = SentenceBreak().Split(doc.Text).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
            for (var i = 0; i < sentences.Count; i++)
            {
                var words = sentences[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length < 6) continue;
                var cut = words.Length / 2;
                candidates.Add((i > 0 ? sentences[i - 1] : "", string.Join(' ', words[..cut]), string.Join(' ', words[cut..])));
            }
        }
        var tails = candidates.Select(c => c.Tail).Distinct(StringComparer.Ordinal).ToList();
        if (tails.Count < options) throw new BadInputException($"the documents hold only {tails.Count} distinct sentence endings", name, "documents");
        var order = SeededRandom.Permutation(candidates.Count, seed);
        var rng = new SeededRandom(SeededRandom.Derive(seed, name));
        var result = new List<McItem>();
        var seenHeads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var index in order)
        {
            if (result.Count == items) break;
            var (previous, head, tail) = candidates[index];
            if (!seenHeads.Add(previous + "|" + head)) continue; // templated text repeats: one item per distinct context
            var choices = new List<string> { tail };
            while (choices.Count < options)
            {
                var d = tails[rng.NextInt(tails.Count)];
                if (!choices.Contains(d, StringComparer.Ordinal)) choices.Add(d);
            }
            var gold = rng.NextInt(options);
            (choices[0], choices[gold]) = (choices[gold], choices[0]);
            var context = previous.Length > 0 ? $"{previous} {head}" : head;
            result.Add(McItem.Shared($"{name}-{result.Count:D3}", context, choices, gold));
        }
        if (result.Count < items) throw new BadInputException($"only {result.Count} distinct items could be made", name, "items", items.ToString());
        return new McTask(name, result);
    }
}
