using SafetyNotebooks.Data;

namespace SafetyNotebooks.Mixing;

/// <summary>
/// How many copies of each document a source contributes to a phase, decided from a census of the source so that the
/// documents themselves can be streamed: the rule of <see cref="MixPlanner"/> without holding the candidates. A share
/// source takes <see cref="FullCopies"/> whole passes over its documents in their seeded order, then the documents up to
/// and including <see cref="Threshold"/> (the first at which its tokens reach the target); a repeat source takes ⌊r⌋
/// copies plus a seeded draw.
/// </summary>
/// <param name="ZeroTokenIds">Ids of the admitted documents without tokens (a share source skips them); null when too
/// many to keep, and then they are counted again.</param>
public sealed record MixSelection(MixSource Source, long Seed, int FullCopies, (ulong Key, string Id)? Threshold, MixSourceStats Stats,
    long EstimatedBytes, IReadOnlySet<string>? ZeroTokenIds)
{
    const int MaxZeroTokenIds = 100_000;

    /// <summary>How many copies of <paramref name="d"/> (copy indices 0 … n − 1) the source contributes.</summary>
    public int Copies(Document d, Func<string, long> count)
    {
        if (Source.Repeat is { } r)
        {
            var whole = (int)Math.Floor(r);
            return whole + (Uniform(MixPlanner.Key(Seed, Source.Name, d.Id, -1)) < r - whole ? 1 : 0);
        }
        if (ZeroTokenIds is { } zero ? zero.Contains(d.Id) : count(d.Text) == 0) return 0;
        return FullCopies + (Threshold is { } t && Compare(MixPlanner.Key(Seed, Source.Name, d.Id, 0), d.Id, t) <= 0 ? 1 : 0);
    }

    static double Uniform(ulong key) => (key >> 11) * (1.0 / (1UL << 53));

    static int Compare(ulong key, string id, (ulong Key, string Id) t) => key != t.Key ? key.CompareTo(t.Key) : string.CompareOrdinal(id, t.Id);

    /// <summary>Reads the source once (twice or more for a share source: its threshold) and decides its selection.</summary>
    public static Task<MixSelection> DecideAsync(MixSource source, long? phaseTokens, long seed, MixSourceReader reader, CancellationToken ct) =>
        source.Repeat is not null ? ByRepeatAsync(source, seed, reader, ct) : ByShareAsync(source, (long)Math.Round(source.Share!.Value * phaseTokens!.Value), seed, reader, ct);

    static async Task<MixSelection> ByRepeatAsync(MixSource source, long seed, MixSourceReader reader, CancellationToken ct)
    {
        var rule = new MixSelection(source, seed, 0, null, null!, 0, null);
        long docs = 0, rows = 0, tokens = 0, bytes = 0;
        await foreach (var c in reader.CountedAsync(source, null, ct))
        {
            var copies = rule.Copies(c.Doc, reader.Count);
            docs += copies > 0 ? 1 : 0; rows += copies; tokens += copies * c.Tokens; bytes += copies * MixMemory.Cost(c.Doc);
        }
        return rule with { Stats = new MixSourceStats(source.Name, docs, rows, tokens, null, source.Repeat, 0), EstimatedBytes = bytes };
    }

    /// <summary>Token and document counts of a source's usable documents by the top bits of their first-copy key.</summary>
    sealed record Histogram(long[] Tokens, long[] Counts)
    {
        public static Histogram Empty() => new(new long[1 << 16], new long[1 << 16]);
        public void Add(int bucket, long tokens) { Tokens[bucket] += tokens; Counts[bucket]++; }
    }

    static async Task<MixSelection> ByShareAsync(MixSource source, long target, long seed, MixSourceReader reader, CancellationToken ct)
    {
        var zero = new HashSet<string>(StringComparer.Ordinal);
        var overflow = false;
        var histogram = Histogram.Empty();
        long usable = 0, usableTokens = 0, usableBytes = 0;
        await foreach (var c in reader.CountedAsync(source, null, ct))
        {
            if (c.Tokens == 0)
            {
                if (!overflow && zero.Add(c.Doc.Id) && zero.Count > MaxZeroTokenIds) { overflow = true; zero.Clear(); }
                continue;
            }
            usable++; usableTokens += c.Tokens; usableBytes += MixMemory.Cost(c.Doc);
            histogram.Add((int)(MixPlanner.Key(seed, source.Name, c.Doc.Id, 0) >> 48), c.Tokens);
        }
        if (usable == 0) throw new BadInputException("no documents with tokens (check its input and score filter)", $"source {source.Name}");
        var zeroIds = overflow ? null : zero;
        if (target <= 0)
            return new MixSelection(source, seed, 0, null, new MixSourceStats(source.Name, 0, 0, 0, source.Share, null, 0), 0, zeroIds);
        // whole passes while the tokens stay below the target, then a partial pass that reaches it
        var full = (target - 1) / usableTokens;
        var (key, id, partialDocs, partialTokens) = await ThresholdAsync(source, seed, target - full * usableTokens, histogram, reader, ct);
        var stats = new MixSourceStats(source.Name, full > 0 ? usable : partialDocs, full * usable + partialDocs, full * usableTokens + partialTokens, source.Share, null, 0);
        var bytes = full * usableBytes + (long)(usableBytes * ((double)partialTokens / usableTokens));
        return new MixSelection(source, seed, checked((int)full), (key, id), stats, bytes, zeroIds);
    }

    /// <summary>
    /// The document, in seeded order, at which the running token count first reaches <paramref name="remaining"/>: the
    /// histogram finds its key bucket, and the bucket is read into memory once small enough (else split 65,536 ways again).
    /// </summary>
    static async Task<(ulong Key, string Id, long Docs, long Tokens)> ThresholdAsync(MixSource source, long seed, long remaining, Histogram histogram,
        MixSourceReader reader, CancellationToken ct)
    {
        long docs = 0, tokens = 0;
        ulong prefix = 0;
        for (var bits = 16; ; bits += 16)
        {
            var b = 0;
            for (; histogram.Tokens[b] < remaining; b++)
            {
                if (b == histogram.Tokens.Length - 1) throw new InvalidOperationException($"source {source.Name}: its files changed while mixing");
                remaining -= histogram.Tokens[b]; docs += histogram.Counts[b]; tokens += histogram.Tokens[b];
            }
            var bucket = (prefix << 16) | (uint)b;
            var shift = 64 - bits;
            ulong KeyOf(Document d) => MixPlanner.Key(seed, source.Name, d.Id, 0);
            bool InBucket(Document d) => (KeyOf(d) >> shift) == bucket;
            if (histogram.Counts[b] * 256 <= reader.Memory.LimitBytes || bits == 64)
            {
                var sample = new List<(ulong Key, string Id, long Tokens)>();
                await foreach (var c in reader.CountedAsync(source, InBucket, ct))
                    if (c.Tokens > 0) { sample.Add((KeyOf(c.Doc), c.Doc.Id, c.Tokens)); reader.Memory.Hold(1, 256); }
                sample.Sort((x, y) => x.Key != y.Key ? x.Key.CompareTo(y.Key) : string.CompareOrdinal(x.Id, y.Id));
                reader.Memory.Release(sample.Count, sample.Count * 256L);
                foreach (var e in sample)
                {
                    docs++; tokens += e.Tokens;
                    if (e.Tokens >= remaining) return (e.Key, e.Id, docs, tokens);
                    remaining -= e.Tokens;
                }
                throw new InvalidOperationException($"source {source.Name}: its files changed while mixing");
            }
            histogram = Histogram.Empty();
            await foreach (var c in reader.CountedAsync(source, InBucket, ct))
                if (c.Tokens > 0) histogram.Add((int)((KeyOf(c.Doc) >> (shift - 16)) & 0xFFFF), c.Tokens);
            prefix = bucket;
        }
    }
}
