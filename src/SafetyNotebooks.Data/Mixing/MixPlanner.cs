using System.Text;
using SafetyNotebooks.Data;
using SafetyNotebooks.Tagging;

namespace SafetyNotebooks.Mixing;

/// <summary>A document a source may contribute, with its token count.</summary>
public sealed record MixCandidate(Document Doc, long Tokens);

/// <summary>One row of a mixture: a copy of a source's document, at the position its seeded key gives it.</summary>
public sealed record MixRow(string Source, Document Doc, int Copy, long Tokens, ulong Key);

/// <summary>What one source contributed to a phase: distinct documents, rows (copies), tokens, and the share realised.</summary>
public sealed record MixSourceStats(string Name, long Documents, long Rows, long Tokens, double? RequestedShare, double? Repeat, double RealisedShare);

/// <summary>A phase's rows in mixture order and its per-source accounting.</summary>
public sealed record MixPhasePlan(string Name, double Until, long? TrainTokens, IReadOnlyList<MixRow> Rows, IReadOnlyList<MixSourceStats> Sources)
{
    public long Tokens => Sources.Sum(s => s.Tokens);
}

/// <summary>
/// The mixture's selection and order, as pure functions of the candidates and the seed: nothing depends on threads,
/// shards or the order the inputs were read in, because every draw and the final order come from a 64-bit key per
/// (seed, source, document id, copy).
/// </summary>
public static class MixPlanner
{
    /// <summary>The seeded key of a copy of a document in a source.</summary>
    public static ulong Key(long seed, string source, string id, int copy)
    {
        var h = Fnv1a64.Hash(Encoding.UTF8.GetBytes($"{seed}\u0001{source}\u0001{id}\u0001{copy}"));
        // splitmix64 finaliser: FNV's low bits are weak for near-identical strings
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    static double Uniform(ulong key) => (key >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Plans one phase. A share source takes documents in its seeded order (cycling through further copies when it is
    /// smaller than its target) until its tokens reach <c>share × trainTokens</c>; a repeat source contributes
    /// ⌊r⌋ copies of every document, plus one more with probability r − ⌊r⌋. Rows are then ordered by their keys.
    /// </summary>
    public static MixPhasePlan Plan(MixPhase phase, long? trainTokens, IReadOnlyList<IReadOnlyList<MixCandidate>> candidates, long seed)
    {
        var rows = new List<MixRow>();
        var stats = new List<MixSourceStats>();
        for (var s = 0; s < phase.Sources.Count; s++)
        {
            var source = phase.Sources[s];
            var own = source.Share is { } share ? ByShare(source, candidates[s], (long)Math.Round(share * trainTokens!.Value), seed) : ByRepeat(source, candidates[s], seed);
            rows.AddRange(own);
            stats.Add(new MixSourceStats(source.Name, own.Select(r => r.Doc.Id).Distinct().LongCount(), own.Count, own.Sum(r => r.Tokens), source.Share, source.Repeat, 0));
        }
        var total = stats.Sum(x => x.Tokens);
        stats = stats.Select(x => x with { RealisedShare = total == 0 ? 0 : (double)x.Tokens / total }).ToList();
        rows.Sort(static (a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key)
            : string.CompareOrdinal(a.Source, b.Source) is var c and not 0 ? c
            : string.CompareOrdinal(a.Doc.Id, b.Doc.Id) is var d and not 0 ? d : a.Copy.CompareTo(b.Copy));
        return new MixPhasePlan(phase.Name, phase.Until, trainTokens, rows, stats);
    }

    static List<MixRow> ByShare(MixSource source, IReadOnlyList<MixCandidate> candidates, long target, long seed)
    {
        var usable = candidates.Where(c => c.Tokens > 0).ToList();
        if (usable.Count == 0) throw new BadInputException("no documents with tokens (check its input and score filter)", $"source {source.Name}");
        var ordered = usable.Select(c => (c, Key: Key(seed, source.Name, c.Doc.Id, 0))).OrderBy(x => x.Key).ThenBy(x => x.c.Doc.Id, StringComparer.Ordinal).Select(x => x.c).ToList();
        var rows = new List<MixRow>();
        long tokens = 0;
        for (var i = 0; tokens < target; i++)
        {
            var c = ordered[i % ordered.Count];
            var copy = i / ordered.Count;
            rows.Add(new MixRow(source.Name, c.Doc, copy, c.Tokens, Key(seed, source.Name, c.Doc.Id, copy)));
            tokens += c.Tokens;
        }
        return rows;
    }

    static List<MixRow> ByRepeat(MixSource source, IReadOnlyList<MixCandidate> candidates, long seed)
    {
        var r = source.Repeat!.Value;
        var whole = (int)Math.Floor(r);
        var rows = new List<MixRow>();
        foreach (var c in candidates)
        {
            var copies = whole + (Uniform(Key(seed, source.Name, c.Doc.Id, -1)) < r - whole ? 1 : 0);
            for (var k = 0; k < copies; k++) rows.Add(new MixRow(source.Name, c.Doc, k, c.Tokens, Key(seed, source.Name, c.Doc.Id, k)));
        }
        return rows;
    }
}
