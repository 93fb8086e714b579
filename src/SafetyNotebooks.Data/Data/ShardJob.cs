using Parquet.Schema;
using System.Text.Json;

namespace SafetyNotebooks.Data;

/// <summary>Where a batch came from, passed to a <see cref="ShardJob"/> transform (for per-row seeds and messages).</summary>
/// <param name="InputPath">The input file.</param>
/// <param name="RelativePath">Its path relative to the input root; the output has the same relative path.</param>
/// <param name="RowGroup">Row-group number within the input file.</param>
/// <param name="FirstRow">Index of the batch's first row within the input file.</param>
public sealed record BatchContext(string InputPath, string RelativePath, int RowGroup, long FirstRow);

/// <summary>One file of a job: the input, its path relative to the input root, and the output to write.</summary>
/// <param name="Unit">The row groups to process (<see cref="ShardUnit.WholeFile"/> for the whole file).</param>
public sealed record ShardFile(string Input, string RelativePath, string Target, ShardUnit? Unit = null)
{
    /// <summary>True when the whole input file is to be processed.</summary>
    public bool WholeFile => Unit is null || Unit.WholeFile;
}

/// <summary>Options of a <see cref="ShardJob"/> run.</summary>
/// <param name="OutputDir">Outputs go to <c>OutputDir/RELATIVE_PATH</c>; the done-list to <c>OutputDir/.safetynb-job/</c>.</param>
/// <param name="ShardIndex">This worker's index (SLURM_ARRAY_TASK_ID), 0 ≤ i &lt; <paramref name="NumShards"/>.</param>
/// <param name="NumShards">Number of workers; input file k (in sorted order) belongs to worker k mod n.</param>
/// <param name="Threads">Files processed at the same time. Outputs do not depend on it.</param>
/// <param name="InputRoot">Folder relative paths are taken from (default: the deepest folder containing every input).</param>
/// <param name="Read">Projection / required columns of the inputs.</param>
/// <param name="Write">Compression of the outputs.</param>
/// <param name="RowGroupsPerUnit">0: a unit of work is a whole file; n &gt; 0: Parquet files with more row groups are split
/// into units of n row groups (outputs <c>NAME.rgFIRST-LAST.parquet</c>), so one large file spreads over many workers.</param>
/// <param name="OutputExtension">Extension of the outputs instead of the input's (e.g. <c>.tokens</c>); null keeps it.</param>
public sealed record ShardJobOptions(
    string OutputDir, int ShardIndex = 0, int NumShards = 1, int Threads = 1, string? InputRoot = null,
    ParquetReadOptions? Read = null, ParquetWriteOptions? Write = null, int RowGroupsPerUnit = 0, string? OutputExtension = null);

/// <summary>One input file of a job and what became of it.</summary>
public sealed record ShardFileResult(string Input, string Output, long RowsIn, long RowsOut, bool Skipped);

/// <summary>The files this worker owned, in input order.</summary>
public sealed record ShardJobResult(IReadOnlyList<ShardFileResult> Files)
{
    public long RowsIn => Files.Sum(f => f.RowsIn);
    public long RowsOut => Files.Sum(f => f.RowsOut);
    public int Processed => Files.Count(f => !f.Skipped);
    public int Skipped => Files.Count(f => f.Skipped);
}

/// <summary>
/// The row-group pipeline every corpus stage runs on: input Parquet files → output Parquet files, one row group at a
/// time (read batch → transform → write batch). Each output is written under a temporary name and renamed when
/// complete; a done-list records finished inputs, so a job killed at any moment resumes without redoing or duplicating
/// work. <c>--shard-index i --num-shards n</c> splits the units of work (whole files, or row-group ranges of large
/// files with <see cref="ShardJobOptions.RowGroupsPerUnit"/>) among SLURM array workers, and <c>--threads</c>
/// processes several files at once. Outputs depend only on the inputs and the transform, never on threads or shards.
/// </summary>
public static class ShardJob
{
    /// <summary>Folder (inside the output folder) that holds the done-lists.</summary>
    public const string StateFolder = ".safetynb-job";

    /// <summary>Expands files and folders (recursively, <c>*.parquet</c>; the rule of <see cref="InputFiles"/>) into a sorted, de-duplicated list of files.</summary>
    public static IReadOnlyList<string> FindInputs(IEnumerable<string> paths)
    {
        var list = paths.ToList();
        foreach (var p in list)
            if (!Directory.Exists(p) && !File.Exists(p)) throw new BadInputException("no such file or folder", p);
        return InputFiles.Enumerate(list, InputFiles.Parquet);
    }

    /// <summary>The items worker <paramref name="index"/> of <paramref name="count"/> owns: every item k with k mod count = index.</summary>
    public static IReadOnlyList<T> SelectShard<T>(IReadOnlyList<T> items, int index, int count)
    {
        if (count < 1) throw new BadInputException("must be at least 1", "--num-shards", value: count.ToString());
        if (index < 0 || index >= count) throw new BadInputException($"must be in [0, {count})", "--shard-index", value: index.ToString());
        return items.Where((_, k) => k % count == index).ToList();
    }

    /// <summary>Runs a synchronous transform over every owned input (see the async overload).</summary>
    public static Task<ShardJobResult> RunAsync(IReadOnlyList<string> inputs, ShardJobOptions options,
        Func<ParquetBatch, BatchContext, ParquetBatch> transform, IProgress<double>? progress = null, CancellationToken ct = default) =>
        RunAsync(inputs, options, (b, c) => ValueTask.FromResult(transform(b, c)), progress, ct);

    /// <summary>
    /// Maps every input file this worker owns to an output file with the same relative path, applying
    /// <paramref name="transform"/> to each row group. The transform may add, replace or drop columns and rows, but must
    /// return the same schema for every batch of a file. It is also called once per file with an empty batch
    /// (<see cref="BatchContext.RowGroup"/> = -1) to learn the output schema of an input without row groups.
    /// Inputs on the done-list whose output exists are skipped.
    /// </summary>
    public static Task<ShardJobResult> RunAsync(IReadOnlyList<string> inputs, ShardJobOptions options,
        Func<ParquetBatch, BatchContext, ValueTask<ParquetBatch>> transform, IProgress<double>? progress = null, CancellationToken ct = default) =>
        RunFilesAsync(inputs, options, (file, token) => ProcessAsync(file, options, transform, token), progress, ct);

    /// <summary>
    /// The job machinery with a whole-file step: <paramref name="process"/> writes <see cref="ShardFile.Target"/> itself
    /// (atomically, e.g. with <see cref="AtomicFile"/>) and returns (rows in, rows out). Sharding, threads, the
    /// done-list and resuming are as in <see cref="RunAsync(IReadOnlyList{string}, ShardJobOptions, Func{ParquetBatch, BatchContext, ValueTask{ParquetBatch}}, IProgress{double}?, CancellationToken)"/>.
    /// </summary>
    public static async Task<ShardJobResult> RunFilesAsync(IReadOnlyList<string> inputs, ShardJobOptions options,
        Func<ShardFile, CancellationToken, Task<(long RowsIn, long RowsOut)>> process, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (options.Threads < 1) throw new BadInputException("must be at least 1", "--threads", value: options.Threads.ToString());
        var all = inputs.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToList();
        var root = options.InputRoot is { } r ? Path.GetFullPath(r) : CommonFolder(all);
        foreach (var input in all)
            if (Path.GetRelativePath(root, input).StartsWith("..", StringComparison.Ordinal))
                throw new BadInputException($"input lies outside the input root {root}", input);
        var units = await ShardUnits.PlanAsync(all.Select(f => new InputFile(f, Path.GetRelativePath(root, f))).ToList(), options.RowGroupsPerUnit, ct);
        var owned = ShardUnits.Owned(units, options.ShardIndex, options.NumShards);
        var output = Path.GetFullPath(OutputGuard.Folder(options.OutputDir, all));
        // no output may land on an input: checked for every unit before the first is written
        foreach (var unit in owned)
            OutputGuard.SingleFile(SafePath.Combine(output, OutputRelative(unit, options), unit.Input), all);
        Directory.CreateDirectory(Path.Combine(output, StateFolder));
        var doneList = Path.Combine(output, StateFolder, $"done-{options.ShardIndex:D5}-of-{options.NumShards:D5}.jsonl");
        var done = ReadDone(Path.Combine(output, StateFolder));
        var results = new ShardFileResult?[owned.Count];
        var gate = new object();
        var finished = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, owned.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = ct },
            async (k, token) =>
            {
                var unit = owned[k];
                var input = unit.Input;
                var relative = OutputRelative(unit, options);
                var target = SafePath.Combine(output, relative, input);
                var size = new FileInfo(input).Length;
                if (done.TryGetValue(relative, out var entry) && entry.InputBytes == size && File.Exists(target))
                {
                    results[k] = new ShardFileResult(input, target, entry.RowsIn, entry.RowsOut, Skipped: true);
                }
                else
                {
                    RemoveStaleTemporaries(target);
                    var (rowsIn, rowsOut) = await Resumable(() => process(new ShardFile(input, relative, target, unit), token), output, () => Volatile.Read(ref finished));
                    lock (gate)
                        File.AppendAllText(doneList, JsonSerializer.Serialize(new DoneEntry(relative, size, rowsIn, rowsOut)) + "\n");
                    results[k] = new ShardFileResult(input, target, rowsIn, rowsOut, Skipped: false);
                }
                progress?.Report((double)Interlocked.Increment(ref finished) / owned.Count);
            });
        return new ShardJobResult(results.Select(r => r!).ToList());
    }

    static string OutputRelative(ShardUnit unit, ShardJobOptions options) =>
        options.OutputExtension is { } ext ? Path.ChangeExtension(unit.OutputRelativePath, ext) : unit.OutputRelativePath;

    /// <summary>
    /// A file refused mid-job says what the job leaves behind: the files already finished stay (each was written
    /// atomically and is on the done-list), nothing of this file is written, and a rerun continues from here.
    /// </summary>
    static async Task<T> Resumable<T>(Func<Task<T>> step, string output, Func<int> finished)
    {
        try { return await step(); }
        catch (BadInputException e)
        {
            throw new BadInputException($"{e.Message} — nothing was written for this file; {finished()} finished file(s) under {output} are kept. " +
                                        "The job is resumable: fix or remove this input and rerun the same command to continue.", inner: e);
        }
    }

    /// <summary>The row-group pipeline for one file: read batch → <paramref name="transform"/> → write, atomically.</summary>
    public static async Task<(long RowsIn, long RowsOut)> ProcessAsync(ShardFile file, ShardJobOptions options,
        Func<ParquetBatch, BatchContext, ValueTask<ParquetBatch>> transform, CancellationToken ct)
    {
        var (input, relative, target, unit) = file;
        long rowsIn = unit?.FirstRow ?? 0, firstRow = rowsIn;
        var (schema, _) = await ParquetFiles.InspectAsync(input, ct);
        // the schema of an input with no row groups: what the transform makes of an empty batch
        var emptyIn = ParquetBatch.Empty(schema);
        var emptyOut = await transform(emptyIn, new BatchContext(input, relative, -1, 0));
        ParquetSchema? outSchema = null;

        async IAsyncEnumerable<ParquetBatch> Transformed()
        {
            var g = unit?.FirstRowGroup ?? 0;
            await foreach (var batch in ParquetFiles.ReadBatchesAsync(input, unit?.FirstRowGroup ?? 0, unit?.RowGroups ?? -1, options.Read, ct))
            {
                var result = await transform(batch, new BatchContext(input, relative, g, rowsIn));
                outSchema ??= result.Schema;
                if (!SameLeaves(outSchema, result.Schema))
                    throw new InvalidOperationException($"{input}: the transform returned a different schema for row group {g}");
                rowsIn += batch.RowCount;
                g++;
                yield return result;
            }
        }

        var rowsOut = await ParquetFiles.WriteAsync(target, Transformed(), emptyOut.Schema, options.Write, ct);
        return (rowsIn - firstRow, rowsOut);
    }

    static bool SameLeaves(ParquetSchema a, ParquetSchema b) =>
        a.GetDataFields().Select(f => (Columns.DottedPath(f), ParquetValues.ArrayElementType(f)))
            .SequenceEqual(b.GetDataFields().Select(f => (Columns.DottedPath(f), ParquetValues.ArrayElementType(f))));

    sealed record DoneEntry(string Input, long InputBytes, long RowsIn, long RowsOut);

    static Dictionary<string, DoneEntry> ReadDone(string folder)
    {
        var done = new Dictionary<string, DoneEntry>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "done-*.jsonl").Order(StringComparer.Ordinal))
            foreach (var line in File.ReadLines(file))
            {
                try
                {
                    if (JsonSerializer.Deserialize<DoneEntry>(line) is { Input: not null } e) done[e.Input] = e;
                }
                catch (JsonException) { /* a line cut short by a kill: that input is simply redone */ }
            }
        return done;
    }

    // AtomicFile names temporaries ".NAME.PID.GUID.tmp"; a killed run leaves them behind.
    static void RemoveStaleTemporaries(string target)
    {
        var dir = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(dir)) return;
        foreach (var tmp in Directory.EnumerateFiles(dir, $".{Path.GetFileName(target)}.*.tmp"))
            try { File.Delete(tmp); } catch (IOException) { }
    }

    static string CommonFolder(IReadOnlyList<string> files)
    {
        if (files.Count == 0) return Directory.GetCurrentDirectory();
        var common = Path.GetDirectoryName(files[0])!;
        foreach (var f in files.Skip(1))
            while (!f.StartsWith(common.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                common = Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}
