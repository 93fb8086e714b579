namespace SafetyNotebooks.Data.Toy;

/// <summary>What <see cref="ToyExport.WriteAsync"/> wrote.</summary>
public sealed record ToyExportResult(string Root, IReadOnlyList<string> TrainShards, string HeldOutShard, string JbPromptsFile,
    long Documents, long HeldOutDocuments, int JbPrompts, IReadOnlyDictionary<int, long> ScoreCounts, long TextBytes);

/// <summary>Writes a toy world to disk in the Hub's shard layout, so every stage can read it like released data.</summary>
public static class ToyExport
{
    /// <summary>The config name of the toy corpus (<c>{root}/toy/train/00000.parquet</c>).</summary>
    public const string Config = "toy";

    /// <summary>
    /// Writes <c>toy/train/{nnnnn}.parquet</c> (the corpus, <paramref name="docsPerShard"/> per shard),
    /// <c>toy/test/00000.parquet</c> (held-out reference documents) and <c>jb-completions/train/00000.parquet</c>
    /// (toy jb prompts) under <paramref name="root"/>. Every file is written atomically.
    /// </summary>
    public static async Task<ToyExportResult> WriteAsync(string root, int docs, ToyOptions options, int heldOut = 500, int jbPrompts = 300,
        int docsPerShard = 50_000, CancellationToken ct = default)
    {
        if (docs < 0) throw new BadInputException("must be ≥ 0", "--docs", value: docs.ToString());
        if (docsPerShard < 1) throw new BadInputException("must be ≥ 1", "docs per shard", value: docsPerShard.ToString());
        var counts = new long[6];
        long bytes = 0;
        var shards = new List<string>();
        for (var s = 0; s * (long)docsPerShard < docs || (docs == 0 && s == 0); s++)
        {
            var first = (long)s * docsPerShard;
            var n = (int)Math.Min(docsPerShard, docs - first);
            var batch = Enumerable.Range(0, n).Select(i => ToyWorld.Document(first + i, options)).ToList();
            foreach (var d in batch) { counts[d.SafetyScore!.Value]++; bytes += d.TextBytes; }
            var path = Documents.ShardPath(root, Config, "train", s);
            await Documents.WriteAsync(path, batch, new DocumentWriteOptions(RowGroupSize: 10_000), ct);
            shards.Add(path);
        }
        var test = Documents.ShardPath(root, Config, "test", 0);
        await Documents.WriteAsync(test, ToyWorld.HeldOut(heldOut, options), null, ct);
        var jb = Documents.ShardPath(root, "jb-completions", "train", 0);
        var prompts = ToyWorld.JbPrompts(jbPrompts, options.Seed);
        await JbCompletions.WriteAsync(jb, prompts, ct);
        return new ToyExportResult(Path.GetFullPath(root), shards, test, jb, docs, heldOut, prompts.Count,
            Enumerable.Range(0, 6).ToDictionary(i => i, i => counts[i]), bytes);
    }
}
