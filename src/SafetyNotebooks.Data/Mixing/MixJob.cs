using System.Text.Json;
using System.Text.Json.Serialization;
using SafetyNotebooks.Data;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Mixing;

/// <summary>A phase as the manifest records it.</summary>
public sealed record MixPhaseManifest(string Name, double Until, long? TrainTokens, long Rows, long Tokens, IReadOnlyList<string> Files, IReadOnlyList<MixSourceStats> Sources);

/// <summary>
/// <c>mix-manifest.json</c>: what went into the mixture, per phase and source (documents, rows, tokens, requested and
/// realised shares), how tokens were counted, and a fingerprint of the spec so a rerun into the same folder resumes only
/// the same mixture. It holds no timestamps: every worker writes the same bytes.
/// </summary>
public sealed record MixManifest(string Fingerprint, long Seed, long? BudgetTokens, string TokenCount, IReadOnlyList<MixPhaseManifest> Phases);

/// <summary>What this worker did: the manifest, the files it wrote or found done, and what it held in memory and spilled.</summary>
public sealed record MixResult(MixManifest Manifest, int FilesWritten, int FilesSkipped, string ManifestPath, MixMemory Memory);

/// <summary>
/// <c>safetynb mix</c>, streaming in bounded memory (<see cref="MixMemory"/>): per phase, a census of each source
/// (<see cref="MixSelection"/>: token counts, and for a share source the seeded threshold that meets its target) decides
/// how many copies of each document go in; a second read spills every selected copy, with its seeded key, to on-disk
/// buckets by key range (<see cref="MixSpill"/>); the buckets are then sorted one at a time and written in mixture order as
/// <c>OUT/PHASE/train/NNNNN.parquet</c> (<see cref="MixSpec.RowsPerFile"/> rows each, released schema plus the
/// toolkit's columns, so tag and export read them like any corpus). The selection and order are those of
/// <see cref="MixPlanner"/>, so the output is the in-memory plan's, byte for byte. Output file k belongs to worker
/// k mod n; every worker plans the whole mixture, so the union of their files and the manifest are byte-identical to a
/// one-worker run. Existing output files (written atomically) are skipped; a worker with nothing left to write does not spill.
/// </summary>
public static class MixJob
{
    public const string ManifestFile = "mix-manifest.json";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static async Task<MixResult> RunAsync(MixSpec spec, string outputDir, int shardIndex = 0, int numShards = 1, int threads = 1,
        IProgress<double>? progress = null, CancellationToken ct = default, MixMemory? memory = null)
    {
        if (threads < 1) throw new BadInputException("must be at least 1", "--threads", value: threads.ToString());
        ShardJob.SelectShard([0], 0, numShards); // validates the shard options before any work
        if (shardIndex < 0 || shardIndex >= numShards) throw new BadInputException($"must be in [0, {numShards})", "--shard-index", value: shardIndex.ToString());
        memory ??= MixMemory.Megabytes(MixMemory.DefaultMegabytes);
        var fingerprint = Fingerprint(spec);
        var manifestPath = Path.Combine(outputDir, ManifestFile);
        if (File.Exists(manifestPath) && JsonSerializer.Deserialize<MixManifest>(File.ReadAllText(manifestPath), Json)?.Fingerprint != fingerprint)
            throw new BadInputException("the folder holds a different mixture (its mix-manifest.json has another fingerprint); choose a new output folder", outputDir);

        var (count, counterName) = Counter(spec.Tokenizer);
        var reader = new MixSourceReader(count, threads, memory);
        var phases = new List<MixPhaseManifest>();
        int written = 0, skipped = 0;
        for (var p = 0; p < spec.Phases.Count; p++)
        {
            var phase = spec.Phases[p];
            var selections = new List<MixSelection>();
            foreach (var s in phase.Sources) selections.Add(await MixSelection.DecideAsync(s, spec.PhaseTokens(p), spec.Seed, reader, ct));
            var stats = Realised(selections.Select(x => x.Stats).ToList());
            var rows = stats.Sum(x => x.Rows);
            var files = Enumerable.Range(0, (int)((rows + spec.RowsPerFile - 1) / spec.RowsPerFile)).Select(k => Path.Combine(phase.Name, "train", $"{k:D5}.parquet")).ToList();
            var mine = Enumerable.Range(0, files.Count).Where(k => k % numShards == shardIndex).ToList();
            var todo = mine.Where(k => !File.Exists(SafePath.Combine(outputDir, files[k]))).ToHashSet();
            if (todo.Count > 0)
                await WritePhaseAsync(phase, selections, rows, todo, k => SafePath.Combine(outputDir, files[k]), spec, reader,
                    Path.Combine(outputDir, $".mix-spill-{shardIndex}"), ct);
            written += todo.Count; skipped += mine.Count - todo.Count;
            phases.Add(new MixPhaseManifest(phase.Name, phase.Until, spec.PhaseTokens(p), rows, stats.Sum(x => x.Tokens), files, stats));
            progress?.Report((double)(p + 1) / spec.Phases.Count);
        }
        var manifest = new MixManifest(fingerprint, spec.Seed, spec.BudgetTokens, counterName, phases);
        Directory.CreateDirectory(outputDir);
        AtomicFile.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, Json) + "\n");
        return new MixResult(manifest, written, skipped, manifestPath, memory);
    }

    static List<MixSourceStats> Realised(IReadOnlyList<MixSourceStats> stats)
    {
        var total = stats.Sum(x => x.Tokens);
        return stats.Select(x => x with { RealisedShare = total == 0 ? 0 : (double)x.Tokens / total }).ToList();
    }

    /// <summary>Spills the phase's selected copies to key buckets, then writes this worker's files from the sorted buckets.</summary>
    static async Task WritePhaseAsync(MixPhase phase, IReadOnlyList<MixSelection> selections, long rows, IReadOnlySet<int> todo, Func<int, string> path,
        MixSpec spec, MixSourceReader reader, string spillDir, CancellationToken ct)
    {
        var names = phase.Sources.Select(s => s.Name).ToArray();
        var buckets = MixSpill.BucketsFor(selections.Sum(x => x.EstimatedBytes), reader.Memory.LimitBytes);
        using var spill = new MixSpill(spillDir, buckets, reader.Memory, (a, b) => Order(a, b, names));
        for (var i = 0; i < selections.Count; i++)
            await foreach (var d in reader.AdmittedAsync(phase.Sources[i], ct))
                for (int k = 0, n = selections[i].Copies(d, reader.Count); k < n; k++)
                    spill.Add(new SpillRow(MixPlanner.Key(spec.Seed, names[i], d.Id, k), i, k, d));
        spill.Complete();
        if (spill.Rows != rows) throw new InvalidOperationException($"phase {phase.Name}: its sources changed while mixing ({spill.Rows} rows spilled, {rows} planned)");
        using var ordered = Ordered(spill, spec.RowsPerFile, todo).GetEnumerator();
        foreach (var k in todo.Order())
        {
            var n = (int)Math.Min(spec.RowsPerFile, rows - (long)k * spec.RowsPerFile);
            await Documents.WriteAsync(path(k), Take(ordered, n).Select(r => Row(r, phase.Sources[r.Source])),
                new DocumentWriteOptions(Math.Min(spec.RowsPerFile, 10_000)), ct);
        }
    }

    // the rows of the files to write, in mixture order; buckets holding none of them are not read
    static IEnumerable<SpillRow> Ordered(MixSpill spill, int rowsPerFile, IReadOnlySet<int> todo)
    {
        long offset = 0;
        for (var b = 0; b < spill.Buckets; offset += spill.Count(b), b++)
        {
            var c = spill.Count(b);
            var wanted = c > 0 && Enumerable.Range((int)(offset / rowsPerFile), (int)((offset + c - 1) / rowsPerFile - offset / rowsPerFile + 1)).Any(todo.Contains);
            if (!wanted) { spill.Drop(b); continue; }
            var position = offset;
            foreach (var r in spill.Sorted(b))
                if (todo.Contains((int)(position++ / rowsPerFile))) yield return r;
        }
    }

    static IEnumerable<SpillRow> Take(IEnumerator<SpillRow> rows, int n)
    {
        for (var i = 0; i < n; i++)
            yield return rows.MoveNext() ? rows.Current : throw new InvalidOperationException("the mixture ran out of rows before its last file");
    }

    static int Order(SpillRow a, SpillRow b, string[] names) => a.Key != b.Key ? a.Key.CompareTo(b.Key)
        : string.CompareOrdinal(names[a.Source], names[b.Source]) is var c and not 0 ? c
        : string.CompareOrdinal(a.Doc.Id, b.Doc.Id) is var d and not 0 ? d : a.Copy.CompareTo(b.Copy);

    /// <summary>Reads a manifest written by <see cref="RunAsync"/>.</summary>
    public static MixManifest ReadManifest(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("no mix-manifest.json (run safetynb mix first)", path);
        try { return JsonSerializer.Deserialize<MixManifest>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new BadInputException($"unreadable mix manifest: {e.Message}", path); }
    }

    // copies after the first get their own id, so ids stay unique within a source; rows without a score get the source's
    static Document Row(SpillRow r, MixSource source) => r.Doc with
    {
        Id = r.Copy == 0 ? r.Doc.Id : $"{r.Doc.Id}#{r.Copy}",
        SafetyScore = r.Doc.SafetyScore ?? source.Score,
    };

    static (Func<string, long> Count, string Name) Counter(string? tokenizer)
    {
        if (tokenizer is null) return (t => AsciiWhitespace.CountWords(System.Text.Encoding.UTF8.GetBytes(t)), "words (ASCII-whitespace separated)");
        var tok = HfTokenizer.Load(tokenizer);
        return (t => tok.Encode(t).Count, $"tokens of {Path.GetFileName(Path.GetFullPath(tokenizer).TrimEnd(Path.DirectorySeparatorChar))}");
    }

    static string Fingerprint(MixSpec spec)
    {
        var text = JsonSerializer.Serialize(spec, Json);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }
}
