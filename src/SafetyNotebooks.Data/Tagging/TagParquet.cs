using Parquet.Schema;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;

namespace SafetyNotebooks.Tagging;

/// <summary>Options of a corpus tagging job (<c>safetynb tag</c>).</summary>
/// <param name="Tag">Rate, seed, minimum score and tag string.</param>
/// <param name="ScoreField">The column holding the safety score: top-level (<c>safety_score</c>) or dotted (<c>metadata.int_score</c>).</param>
/// <param name="Threads">Worker threads; the output does not depend on it.</param>
/// <param name="Compression">Codec of the files the general path writes; the byte-level path keeps the input's codecs.</param>
/// <param name="ByteLevel">Use the byte-level path (<see cref="TagParquetRaw"/>) for the files it supports; false forces the general path.</param>
public sealed record TagJobOptions(
    TagOptions Tag,
    string ScoreField = Columns.SafetyScore,
    int Threads = 1,
    int ShardIndex = 0,
    int NumShards = 1,
    ParquetCompression Compression = ParquetCompression.Snappy,
    bool ByteLevel = true,
    int RowGroupsPerUnit = 0,
    string? InputRoot = null);

/// <summary>A file that went through the general path although the byte-level path was enabled, and why.</summary>
public sealed record TagFallback(string Input, string Reason);

/// <summary>A validated tagging job: all inputs, the ones this shard owns, and the compiled plan.</summary>
public sealed record TagJob(IReadOnlyList<string> Files, IReadOnlyList<string> Owned, TagPlan Plan, TagJobOptions Options);

/// <summary>What a tagging job produced: counts cover every owned file, those finished by an earlier run included.</summary>
/// <param name="ByteLevelFiles">Files this run tagged on the byte-level path.</param>
/// <param name="Fallbacks">Files this run tagged on the general path although the byte-level path was enabled, with the reason.</param>
public sealed record TagJobResult(ShardJobResult Job, long TaggedDocuments, long Tags, long TextChars, int ByteLevelFiles = 0, IReadOnlyList<TagFallback>? Fallbacks = null)
{
    public long Documents => Job.RowsIn;
}

/// <summary>
/// Harmfulness tagging over Parquet corpora in the released schema: each row group's <c>text</c> is tagged (documents
/// whose score reaches the minimum), the count goes to the <c>tag_count</c> column (int32), every other column passes
/// through unchanged. Runs on the data layer's resumable, atomic, sharded <see cref="ShardJob"/>.
/// </summary>
public static class TagParquet
{
    /// <summary>The pure row-group transform: <c>text</c> tagged, <c>tag_count</c> set, all else untouched.</summary>
    public static ParquetBatch TagBatch(ParquetBatch batch, TagPlan plan, string scoreField, int threads = 1) =>
        TagBatchCounted(batch, plan, scoreField, threads).Batch;

    static (ParquetBatch Batch, TaggedColumns Tagged) TagBatchCounted(ParquetBatch batch, TagPlan plan, string scoreField, int threads)
    {
        var tagged = TagColumns.Tag(batch.Ids, batch.Texts, Scores(batch.Column(scoreField).Values), plan, threads);
        return (batch.With(Columns.Text, tagged.Texts).With<int>(Columns.TagCount, tagged.TagCounts), tagged);
    }

    /// <summary>
    /// Checks every input before anything is written: <c>id</c> and <c>text</c> are string columns, the score field
    /// exists and is numeric, and no document lacks a score (or, when it would be tagged, an id). Throws
    /// <see cref="BadInputException"/> naming the file, field and row.
    /// </summary>
    public static Task ValidateAsync(IReadOnlyList<string> inputs, string scoreField, TagPlan plan, CancellationToken ct = default) =>
        ValidateAsync(inputs, scoreField, plan, threads: 1, ct);

    /// <summary>
    /// <see cref="ValidateAsync(IReadOnlyList{string}, string, TagPlan, CancellationToken)"/> over up to
    /// <paramref name="threads"/> files at once (it reads every id and score, so a serial pass would hold back a
    /// multi-threaded job). The problem reported is that of the first bad file in input order, for any thread count.
    /// </summary>
    public static async Task ValidateAsync(IReadOnlyList<string> inputs, string scoreField, TagPlan plan, int threads, CancellationToken ct = default)
    {
        var problems = new BadInputException?[inputs.Count];
        var firstBad = inputs.Count;   // files after a bad one need no checking
        await Parallel.ForEachAsync(Enumerable.Range(0, inputs.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct },
            async (i, token) =>
            {
                if (i > Volatile.Read(ref firstBad)) return;
                try { await ValidateFileAsync(inputs[i], scoreField, plan, token); }
                catch (BadInputException e)
                {
                    problems[i] = e;
                    for (var seen = Volatile.Read(ref firstBad); i < seen; seen = Volatile.Read(ref firstBad))
                        if (Interlocked.CompareExchange(ref firstBad, i, seen) == seen) break;
                }
            });
        if (problems.FirstOrDefault(p => p is not null) is { } first)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }

    static async Task ValidateFileAsync(string input, string scoreField, TagPlan plan, CancellationToken ct)
    {
        var (schema, _) = await ParquetFiles.InspectAsync(input, ct);
        var fields = schema.GetDataFields().ToDictionary(Columns.DottedPath, StringComparer.Ordinal);
        var names = string.Join(", ", fields.Keys);
        foreach (var name in new[] { Columns.Id, Columns.Text })
            if (!fields.TryGetValue(name, out var f) || ParquetValues.LogicalType(f) != typeof(string))
                throw new BadInputException($"a string column '{name}' is required (columns: {names})", input, name);
        if (!fields.TryGetValue(scoreField, out var score))
            throw new BadInputException($"unknown score field (columns: {names}); choose it with --score-field", input, scoreField);
        if (!IsNumeric(ParquetValues.LogicalType(score)))
            throw new BadInputException($"the score field has type {ParquetValues.LogicalType(score).Name}, expected a number", input, scoreField);

        long first = 0;
        await foreach (var batch in ParquetFiles.ReadBatchesAsync(input, new ParquetReadOptions([Columns.Id, scoreField]), ct))
        {
            var scores = Scores(batch.Column(scoreField).Values);
            var ids = batch.Ids;
            for (var i = 0; i < scores.Length; i++)
            {
                if (scores[i] is not { } s)
                    throw new BadInputException($"row {first + i}: the safety score is missing (score the corpus first, or pick another --score-field)", input, scoreField);
                if (s >= plan.MinScore && ids[i] is null)
                    throw new BadInputException($"row {first + i}: the id is missing (tag draws are keyed by id)", input, Columns.Id);
            }
            first += batch.RowCount;
        }
    }

    /// <summary>Validates, then tags every input this shard owns into <paramref name="outputDir"/> (same relative paths); resumes after a kill.</summary>
    public static async Task<TagJobResult> RunAsync(IReadOnlyList<string> inputs, string outputDir, TagJobOptions options,
        IProgress<double>? progress = null, CancellationToken ct = default) =>
        await RunAsync(await PrepareAsync(inputs, options, ct), outputDir, progress, ct);

    /// <summary>
    /// Everything that can fail on bad input, before any output exists: the options, the input list, this shard's
    /// files and their columns and scores (<see cref="ValidateAsync"/>).
    /// </summary>
    public static async Task<TagJob> PrepareAsync(IReadOnlyList<string> inputs, TagJobOptions options, CancellationToken ct = default)
    {
        var plan = TagPlan.From(options.Tag);
        if (options.Threads < 1) throw new BadInputException("must be at least 1", "--threads", value: options.Threads.ToString());
        var files = ShardJob.FindInputs(inputs);
        if (files.Count == 0) throw new BadInputException("no .parquet files found", string.Join(", ", inputs));
        var owned = options.RowGroupsPerUnit == 0 ? ShardJob.SelectShard(files, options.ShardIndex, options.NumShards)
            : await OwnedFilesAsync(files, options, ct);
        await ValidateAsync(owned, options.ScoreField, plan, options.Threads, ct);
        return new TagJob(files, owned, plan, options);
    }

    // the files with at least one row-group unit this shard owns
    static async Task<IReadOnlyList<string>> OwnedFilesAsync(IReadOnlyList<string> files, TagJobOptions options, CancellationToken ct)
    {
        var units = await ShardUnits.PlanAsync(files.Select(f => new InputFile(f, f)).ToList(), options.RowGroupsPerUnit, ct);
        return ShardUnits.Owned(units, options.ShardIndex, options.NumShards).Select(u => u.Input).Distinct().ToList();
    }

    /// <summary>Tags a prepared job's files into <paramref name="outputDir"/>; resumes after a kill.</summary>
    public static async Task<TagJobResult> RunAsync(TagJob prepared, string outputDir, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var (files, owned, plan, options) = prepared;
        // several files: one thread each; fewer files than threads: the rest split each row group's documents
        var fileThreads = Math.Clamp(owned.Count, 1, options.Threads);
        var batchThreads = Math.Max(1, options.Threads / fileThreads);
        long taggedDocs = 0, tags = 0, chars = 0;
        var byteLevel = 0;
        var fallbacks = new System.Collections.Concurrent.ConcurrentBag<TagFallback>();
        var pool = new System.Collections.Concurrent.ConcurrentBag<RewriteBuffers>(); // working buffers, handed from file to file
        var shardOptions = new ShardJobOptions(outputDir, options.ShardIndex, options.NumShards, fileThreads, options.InputRoot,
            Write: new ParquetWriteOptions(options.Compression), RowGroupsPerUnit: options.RowGroupsPerUnit);
        ValueTask<ParquetBatch> Transform(ParquetBatch batch, BatchContext _)
        {
            var (result, tagged) = TagBatchCounted(batch, plan, options.ScoreField, batchThreads);
            Interlocked.Add(ref taggedDocs, tagged.TagCounts.Count(c => c > 0));
            Interlocked.Add(ref tags, tagged.TotalTags);
            Interlocked.Add(ref chars, batch.TextChars);
            return ValueTask.FromResult(result);
        }
        async Task<(long, long)> Process(ShardFile file, CancellationToken token)
        {
            if (options.ByteLevel && file.WholeFile) // a row-group unit of a larger file takes the general path
            {
                var raw = await TagParquetRaw.TryTagFileAsync(file.Input, file.Target, plan, options.ScoreField, batchThreads, pool, token);
                if (raw.Outcome.FallbackReason is { } reason) fallbacks.Add(new TagFallback(file.Input, reason));
                else
                {
                    Interlocked.Add(ref taggedDocs, raw.TaggedDocuments);
                    Interlocked.Add(ref tags, raw.Tags);
                    Interlocked.Add(ref chars, raw.TextChars);
                    Interlocked.Increment(ref byteLevel);
                    return (raw.Rows, raw.Rows);
                }
            }
            return await ShardJob.ProcessAsync(file, shardOptions, Transform, token);
        }
        ShardJobResult job;
        try
        {
            job = await ShardJob.RunFilesAsync(files, shardOptions, Process, progress, ct);
        }
        finally
        {
            foreach (var b in pool) b.Dispose();
        }
        // files done by an earlier run: their counts are in their outputs' tag_count column
        foreach (var done in job.Files.Where(f => f.Skipped))
            await foreach (var batch in ParquetFiles.ReadBatchesAsync(done.Output, new ParquetReadOptions([Columns.TagCount, Columns.Text]), ct))
            {
                var counts = batch.Values<int>(Columns.TagCount);
                taggedDocs += counts.Count(c => c > 0);
                tags += counts.Sum(c => (long)(c ?? 0));
                chars += batch.TextChars;
            }
        return new TagJobResult(job, taggedDocs, tags, chars, byteLevel, fallbacks.OrderBy(f => f.Input, StringComparer.Ordinal).ToList());
    }

    static bool IsNumeric(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte) || t == typeof(byte)
        || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong) || t == typeof(double) || t == typeof(float) || t == typeof(decimal);

    /// <summary>Any numeric column (required or optional) as <c>double?</c> scores.</summary>
    public static double?[] Scores(Array values) => values switch
    {
        int?[] a => Array.ConvertAll(a, v => (double?)v),
        int[] a => Array.ConvertAll(a, v => (double?)v),
        long?[] a => Array.ConvertAll(a, v => (double?)v),
        long[] a => Array.ConvertAll(a, v => (double?)v),
        double?[] a => a,
        double[] a => Array.ConvertAll(a, v => (double?)v),
        float?[] a => Array.ConvertAll(a, v => (double?)v),
        float[] a => Array.ConvertAll(a, v => (double?)v),
        _ => ConvertAny(values),
    };

    static double?[] ConvertAny(Array values)
    {
        var result = new double?[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = values.GetValue(i) is { } v ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) : null;
        return result;
    }
}
