using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Data.LitData;

/// <summary>One LitData folder a job wrote: its split (null = the output folder itself) and what it holds.</summary>
public sealed record LitDataSplitExport(string? Split, LitDataExport Export);

/// <summary>What a sharded export did: this worker's units, and the merged folders once every unit is done.</summary>
/// <param name="Complete">True when every unit of every worker was done and the folders are merged.</param>
public sealed record LitDataJobResult(ShardJobResult Job, IReadOnlyList<LitDataSplitExport> Splits, bool Complete)
{
    public long Documents => Splits.Sum(s => s.Export.Documents);
    public long Tokens => Splits.Sum(s => s.Export.Tokens);
}

/// <summary>
/// <c>safetynb export litdata</c> as a sharded, resumable job. Inputs follow <see cref="InputFiles"/> (files, folders
/// searched recursively, Parquet or JSONL). Each unit of work (a file, or a row-group range of a large Parquet file) is
/// tokenized into a part (<c>OUT/.parts/REL.tokens</c>, written atomically, on a done-list); the worker that finds every
/// part present merges them in unit order into one LitData folder per split folder of the input (<c>OUT/train</c>,
/// <c>OUT/test</c>; <c>OUT</c> itself when the inputs have no split folders). Parts depend only on the inputs, so the
/// merged folders are byte-identical for any number of workers and threads.
/// </summary>
public static class LitDataJob
{
    public const string PartsFolder = ".parts";
    const string PartExtension = ".tokens";

    public static async Task<LitDataJobResult> RunAsync(IReadOnlyList<string> inputs, string tokenizerDir, string outputDir, LitDataExportOptions options,
        int shardIndex = 0, int numShards = 1, int rowGroupsPerUnit = 0, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var files = InputFiles.Find(inputs, InputFiles.ParquetOrJsonl);
        var root = InputFiles.Root(inputs, files.Select(f => f.Path).ToList());
        var (tokenizer, _) = LitDataExporter.TokenizerWithTag(tokenizerDir, options.Tag);
        int? eos = null;
        if (options.AppendEos)
            eos = tokenizer.EosId ?? throw new BadInputException("the tokenizer has no eos_token (tokenizer_config.json); pass --eos false to export without it", tokenizerDir, "eos_token");
        var output = Path.GetFullPath(outputDir);
        var parts = Path.Combine(output, PartsFolder);
        var job = new ShardJobOptions(parts, shardIndex, numShards, 1, root, RowGroupsPerUnit: rowGroupsPerUnit, OutputExtension: PartExtension);
        var result = await ShardJob.RunFilesAsync(files.Select(f => f.Path).ToList(), job,
            (file, token) => WritePartAsync(file, tokenizer, eos, Math.Max(1, options.Threads), token), progress, ct);
        LitDataExporter.WriteTokenizer(tokenizer, tokenizerDir, output);

        var units = await ShardUnits.PlanAsync(files, rowGroupsPerUnit, ct);
        var partPaths = units.Select(u => (u, Path: SafePath.Combine(parts, Path.ChangeExtension(u.OutputRelativePath, PartExtension)))).ToList();
        if (!partPaths.All(p => File.Exists(p.Path))) return new LitDataJobResult(result, [], Complete: false);
        var updatedAt = options.UpdatedAt ?? files.Max(f => new DateTimeOffset(File.GetLastWriteTimeUtc(f.Path)));
        var splits = partPaths.GroupBy(p => p.u.Split()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new LitDataSplitExport(g.Key, Merge(g.Select(p => p.Path).ToList(), g.Key is null ? output : Path.Combine(output, g.Key), options.ChunkBytes, updatedAt, ct)))
            .ToList();
        return new LitDataJobResult(result, splits, Complete: true);
    }

    static string? Split(this ShardUnit u) => InputFiles.SplitOf(u.RelativePath);

    static async Task<(long, long)> WritePartAsync(ShardFile file, HfTokenizer tokenizer, int? eos, int threads, CancellationToken ct)
    {
        var texts = file.Input.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? LitDataExporter.ReadJsonlTexts(file.Input)
            : Texts(file.Unit ?? new ShardUnit(file.Input, file.RelativePath), ct);
        long docs = 0;
        await AtomicFile.WriteAsync(file.Target, async stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            await foreach (var ids in LitDataExporter.Tokenize(texts, tokenizer, eos, threads, ct))
            {
                w.Write(ids.Length);
                foreach (var id in ids) w.Write(id);
                docs++;
            }
        });
        return (docs, docs);
    }

    static async IAsyncEnumerable<string> Texts(ShardUnit unit, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var d in ShardUnits.DocumentsAsync(unit, ct)) yield return d.Text;
    }

    static IEnumerable<int[]> ReadPart(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        while (r.BaseStream.Position < r.BaseStream.Length)
        {
            var n = r.ReadInt32();
            var ids = new int[n];
            for (var i = 0; i < n; i++) ids[i] = r.ReadInt32();
            yield return ids;
        }
    }

    /// <summary>
    /// Parts → one LitData folder, written into a fresh temporary folder and moved in (chunks first, index.json last),
    /// so two workers merging at once write the same bytes and a reader never sees half a dataset.
    /// </summary>
    static LitDataExport Merge(IReadOnlyList<string> parts, string dest, long chunkBytes, DateTimeOffset updatedAt, CancellationToken ct)
    {
        var index = Path.Combine(dest, LitDataFormat.IndexFile);
        if (File.Exists(index))
        {
            var existing = LitDataReader.Open(dest);
            return new LitDataExport(dest, existing.Chunks, existing.Chunks.Sum(c => (long)c.ChunkSize), existing.Chunks.Sum(c => c.Dim));
        }
        var temp = Path.Combine(Path.GetDirectoryName(dest.TrimEnd(Path.DirectorySeparatorChar))!, $".merge-{Guid.NewGuid():N}");
        try
        {
            var written = LitDataWriter.Write(temp, parts.SelectMany(ReadPart), chunkBytes, updatedAt, ct);
            Directory.CreateDirectory(dest);
            foreach (var c in written.Chunks) File.Move(Path.Combine(temp, c.Filename), Path.Combine(dest, c.Filename), overwrite: true);
            File.Move(Path.Combine(temp, LitDataFormat.IndexFile), index, overwrite: true);
            return written with { Directory = dest };
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
