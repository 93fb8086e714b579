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

/// <summary>What this worker did: the manifest, and the files it wrote or found done.</summary>
public sealed record MixResult(MixManifest Manifest, int FilesWritten, int FilesSkipped, string ManifestPath);

/// <summary>
/// <c>safetynb mix</c>: reads every source, plans each phase (<see cref="MixPlanner"/>), and writes the rows in
/// mixture order as <c>OUT/PHASE/train/NNNNN.parquet</c> (<see cref="MixSpec.RowsPerFile"/> rows each, released
/// schema plus the toolkit's columns, so tag and export read them like any corpus). Output file k belongs to worker
/// k mod n; every worker plans the whole mixture (the plan is cheap next to reading), so the union of their files and
/// the manifest are byte-identical to a one-worker run. Existing output files (written atomically) are skipped.
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
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (threads < 1) throw new BadInputException("must be at least 1", "--threads", value: threads.ToString());
        ShardJob.SelectShard([0], 0, numShards); // validates the shard options before any work
        if (shardIndex < 0 || shardIndex >= numShards) throw new BadInputException($"must be in [0, {numShards})", "--shard-index", value: shardIndex.ToString());
        var fingerprint = Fingerprint(spec);
        var manifestPath = Path.Combine(outputDir, ManifestFile);
        if (File.Exists(manifestPath) && JsonSerializer.Deserialize<MixManifest>(File.ReadAllText(manifestPath), Json)?.Fingerprint != fingerprint)
            throw new BadInputException("the folder holds a different mixture (its mix-manifest.json has another fingerprint); choose a new output folder", outputDir);

        var (count, counterName) = Counter(spec.Tokenizer);
        var cache = new Dictionary<string, IReadOnlyList<MixCandidate>>(StringComparer.Ordinal);
        var phases = new List<MixPhaseManifest>();
        int written = 0, skipped = 0;
        for (var p = 0; p < spec.Phases.Count; p++)
        {
            var phase = spec.Phases[p];
            var candidates = new List<IReadOnlyList<MixCandidate>>();
            foreach (var s in phase.Sources)
                candidates.Add((await ReadAsync(s.Inputs, cache, count, threads, ct)).Where(c => s.Admits(c.Doc.SafetyScore)).ToList());
            var plan = MixPlanner.Plan(phase, spec.PhaseTokens(p), candidates, spec.Seed);
            var chunks = plan.Rows.Chunk(spec.RowsPerFile).ToList();
            var files = new List<string>();
            for (var k = 0; k < chunks.Count; k++)
            {
                var relative = Path.Combine(phase.Name, "train", $"{k:D5}.parquet");
                files.Add(relative);
                if (k % numShards != shardIndex) continue;
                var path = SafePath.Combine(outputDir, relative);
                if (File.Exists(path)) { skipped++; continue; }
                var sources = phase.Sources.ToDictionary(s => s.Name);
                await Documents.WriteAsync(path, chunks[k].Select(r => Row(r, sources[r.Source])), new DocumentWriteOptions(Math.Min(spec.RowsPerFile, 10_000)), ct);
                written++;
            }
            phases.Add(new MixPhaseManifest(phase.Name, phase.Until, plan.TrainTokens, plan.Rows.Count, plan.Tokens, files, plan.Sources));
            progress?.Report((double)(p + 1) / spec.Phases.Count);
        }
        var manifest = new MixManifest(fingerprint, spec.Seed, spec.BudgetTokens, counterName, phases);
        Directory.CreateDirectory(outputDir);
        AtomicFile.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, Json) + "\n");
        return new MixResult(manifest, written, skipped, manifestPath);
    }

    /// <summary>Reads a manifest written by <see cref="RunAsync"/>.</summary>
    public static MixManifest ReadManifest(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("no mix-manifest.json (run safetynb mix first)", path);
        try { return JsonSerializer.Deserialize<MixManifest>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new BadInputException($"unreadable mix manifest: {e.Message}", path); }
    }

    // copies after the first get their own id, so ids stay unique within a source; rows without a score get the source's
    static Document Row(MixRow r, MixSource source) => r.Doc with
    {
        Id = r.Copy == 0 ? r.Doc.Id : $"{r.Doc.Id}#{r.Copy}",
        SafetyScore = r.Doc.SafetyScore ?? source.Score,
    };

    static async Task<IReadOnlyList<MixCandidate>> ReadAsync(IReadOnlyList<string> inputs, Dictionary<string, IReadOnlyList<MixCandidate>> cache,
        Func<string, long> count, int threads, CancellationToken ct)
    {
        var all = new List<MixCandidate>();
        foreach (var file in InputFiles.Find(inputs, InputFiles.Parquet))
        {
            if (!cache.TryGetValue(file.Path, out var docs))
            {
                var list = await Documents.ReadListAsync(file.Path, ct);
                docs = list.AsParallel().AsOrdered().WithDegreeOfParallelism(threads).Select(d => new MixCandidate(d, count(d.Text))).ToList();
                cache[file.Path] = docs;
            }
            all.AddRange(docs);
        }
        return all;
    }

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
