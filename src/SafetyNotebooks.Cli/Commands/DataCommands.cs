using System.CommandLine;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb data …</c>: released manifests, the Hugging Face cache, the toy world and Parquet jobs.</summary>
public static class DataCommands
{
    static readonly Argument<string> NameArgument = new("NAME") { Description = "Hub repo id (locuslab/refuseweb) or short name (refuseweb)" };
    static readonly Option<string?> ConfigOption = new("--config") { Description = "Only this config (e.g. score_4_refusal)" };

    /// <summary>Options shared by every command that runs a <see cref="ShardJob"/>.</summary>
    public static readonly Option<int> ShardIndexOption = new("--shard-index") { Description = "This worker's index (e.g. $SLURM_ARRAY_TASK_ID)", DefaultValueFactory = _ => 0 };
    public static readonly Option<int> NumShardsOption = new("--num-shards") { Description = "Number of workers splitting the input files", DefaultValueFactory = _ => 1 };
    public static readonly Option<int> ThreadsOption = new("--threads") { Description = "Files processed at once (outputs do not depend on it)", DefaultValueFactory = _ => 1 };

    public static Command Build()
    {
        var data = new Command("data", "Released datasets and models (manifests, Hugging Face cache), the toy world, Parquet jobs");
        foreach (var c in new[] { List(), Describe(), Fetch(), Verify(), Toy(), Head(), Convert() }) data.Subcommands.Add(c);
        return data;
    }

    static Command List()
    {
        var command = new Command("list", "List the released datasets and models and whether they are in the Hugging Face cache") { Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var cache = HfCache.FromEnvironment();
            var rows = Manifests.All.Select(m => new
            {
                m.Name, m.RepoId, m.Kind, m.Revision, m.Rows,
                Configs = m.Configs.Select(c => c.Name).ToList(),
                Cached = cache.Snapshot(m.RepoId, m.Kind, m.EffectiveRevision) is not null,
            }).ToList();
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, rows);
            else
            {
                output.WriteLine($"{"name",-32} {"kind",-8} {"rows",12} {"cached",-6} repo");
                foreach (var r in rows) output.WriteLine($"{r.Name,-32} {r.Kind,-8} {(r.Rows?.ToString("N0") ?? "?"),12} {(r.Cached ? "yes" : "no"),-6} {r.RepoId}");
                output.WriteLine($"cache: {cache.Root}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Describe()
    {
        var command = new Command("describe", "Show a manifest: configs, splits, rows, licence, files in the cache") { NameArgument, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var m = Manifests.Find(parse.GetValue(NameArgument)!);
            var cache = HfCache.FromEnvironment();
            var snapshot = cache.Snapshot(m.RepoId, m.Kind, m.EffectiveRevision);
            var cached = m.Configs.ToDictionary(c => c.Name, c => cache.CachedFiles(m.RepoId, m.Kind, m.EffectiveRevision, c.Include).Count);
            if (parse.GetValue(Cli.JsonOption)) { Cli.WriteJson(output, new { manifest = m, snapshot, cached_files = cached }); return ExitCodes.Ok; }
            output.WriteLine($"{m.RepoId} ({m.Kind}, short name {m.Name})");
            output.WriteLine($"  {m.Description}");
            output.WriteLine($"  revision: {m.Revision ?? "not pinned (main)"}; licence: {m.License ?? "unknown"}; rows: {m.Rows?.ToString("N0") ?? "unknown"}; schema: {m.Schema ?? "-"}");
            foreach (var c in m.Configs)
                output.WriteLine($"  config {c.Name}: {string.Join(", ", c.Include)}; splits {string.Join(", ", (c.Splits ?? []).Select(s => $"{s.Name} ({s.Rows?.ToString("N0") ?? "? rows"})"))}; {cached[c.Name]} file(s) cached");
            if (m.Notes is not null) output.WriteLine($"  notes: {m.Notes}");
            output.WriteLine($"  cache: {snapshot ?? cache.RepoFolder(m.RepoId, m.Kind) + " (not downloaded)"}");
            output.WriteLine($"  download: safetynb data fetch {m.Name}   or   {HubClient.CliCommand(m, null)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Fetch()
    {
        var command = new Command("fetch", "Download a dataset or model into the Hugging Face cache (resumable, sha256-checked; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE)")
            { NameArgument, ConfigOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var m = Manifests.Find(parse.GetValue(NameArgument)!);
            var json = parse.GetValue(Cli.JsonOption);
            using var hub = new HubClient(HubSettings.FromEnvironment());
            var files = await Progress.RunAsync($"fetching {m.RepoId}", json, parse.InvocationConfiguration.Error, p => hub.FetchAsync(m, parse.GetValue(ConfigOption), p, ct));
            if (json) Cli.WriteJson(output, files);
            else foreach (var f in files) output.WriteLine($"{f.Status,-10} {f.Path} ({f.Bytes:N0} bytes) {f.Sha256}");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Verify()
    {
        var command = new Command("verify", "Check the cached files of a dataset or model: present and sha256 intact") { NameArgument, ConfigOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var m = Manifests.Find(parse.GetValue(NameArgument)!);
            var files = HubClient.Verify(m, HfCache.FromEnvironment(), parse.GetValue(ConfigOption));
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, files);
            else
            {
                foreach (var f in files) output.WriteLine($"{f.Status,-9} {f.Path}");
                if (files.Count == 0) output.WriteLine($"nothing cached for {m.RepoId}; run: safetynb data fetch {m.Name}");
            }
            return files.Count > 0 && files.All(f => f.Status == "ok") ? ExitCodes.Ok : ExitCodes.BadInput;
        });
        return command;
    }

    static Command Toy()
    {
        var docs = new Option<int>("--docs") { Description = "Training documents", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<long>("--seed") { Description = "Seed (same seed, same bytes)", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--output") { Description = "Output folder", Required = true };
        var heldOut = new Option<int>("--heldout") { Description = "Held-out reference documents", DefaultValueFactory = _ => 500 };
        var jb = new Option<int>("--jb") { Description = "jb-style completion prompts", DefaultValueFactory = _ => 300 };
        var command = new Command("toy", "Generate the toy world: toy/train, toy/test and jb-completions/train Parquet shards") { docs, seed, outDir, heldOut, jb, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var r = await ToyExport.WriteAsync(OutputGuard.Folder(parse.GetValue(outDir)!, []), parse.GetValue(docs), new ToyOptions(parse.GetValue(seed)),
                parse.GetValue(heldOut), parse.GetValue(jb), ct: ct);
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, r);
            else
            {
                output.WriteLine($"wrote {r.Documents:N0} documents ({r.TextBytes / 1e6:0.0} MB of text) in {r.TrainShards.Count} shard(s), {r.HeldOutDocuments} held-out, {r.JbPrompts} jb prompts under {r.Root}");
                output.WriteLine("documents per safety score: " + string.Join(", ", r.ScoreCounts.Select(kv => $"{kv.Key}: {kv.Value}")));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Head()
    {
        var file = new Argument<string>("FILE") { Description = "A Parquet file" };
        var rows = new Option<int>("--rows") { Description = "Rows to show", DefaultValueFactory = _ => 5 }.Within(1, 1_000_000);
        var columns = new Option<string?>("--columns") { Description = "Comma-separated columns (dotted paths or struct names)" };
        var command = new Command("head", "Show the schema and first rows of a Parquet file") { file, rows, columns, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var path = parse.GetValue(file)!;
            var cols = parse.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var (schema, groups) = await ParquetFiles.InspectAsync(path, ct);
            var n = parse.GetValue(rows);
            var taken = new List<ParquetBatch>();
            var have = 0;
            await foreach (var b in ParquetFiles.ReadBatchesAsync(path, new ParquetReadOptions(cols), ct))
            {
                taken.Add(b.Take(Enumerable.Range(0, Math.Min(b.RowCount, n - have)).ToArray()));
                have += taken[^1].RowCount;
                if (have >= n) break;
            }
            var records = taken.SelectMany(b => Enumerable.Range(0, b.RowCount).Select(i => b.Columns.ToDictionary(c => c.Path, c => c.Values.GetValue(i)))).ToList();
            if (parse.GetValue(Cli.JsonOption)) { Cli.WriteJson(output, new { rows = groups.Sum(), row_groups = groups.Count, columns = schema.GetDataFields().Select(Columns.DottedPath), head = records }); return ExitCodes.Ok; }
            output.WriteLine($"{path}: {groups.Sum():N0} rows in {groups.Count} row group(s); columns: {string.Join(", ", schema.GetDataFields().Select(f => $"{Columns.DottedPath(f)}:{ParquetValues.LogicalType(f).Name}"))}");
            foreach (var r in records)
                output.WriteLine(string.Join(" | ", r.Select(kv => $"{kv.Key}={Short(kv.Value)}")));
            return ExitCodes.Ok;
        });
        return command;
    }

    static string Short(object? v) => v switch
    {
        null => "null",
        string s => (s.Length > 80 ? s[..80] + "…" : s).Replace("\n", "\\n"),
        _ => System.Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    static Command Convert()
    {
        var inputs = new Argument<string[]>("INPUT") { Description = "Parquet files or folders", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--output") { Description = "Output folder (same relative paths)", Required = true };
        var compression = new Option<ParquetCompression>("--compression") { Description = "snappy, zstd or none", DefaultValueFactory = _ => ParquetCompression.Snappy };
        var columns = new Option<string?>("--columns") { Description = "Keep only these columns (dotted paths or struct names)" };
        var stage = new StageOptions(ShardIndexOption, NumShardsOption, StageOptions.Create().RowGroupsPerUnit);
        var command = stage.AddTo(new Command("convert", "Rewrite Parquet shards (projection, recompression) as a resumable, sharded job")
            { inputs, outDir, compression, columns, ThreadsOption, Cli.JsonOption });
        command.SetHandler(async (parse, output, ct) =>
        {
            OutputGuard.Folder(parse.GetValue(outDir)!, parse.GetValue(inputs)!);
            var files = ShardJob.FindInputs(parse.GetValue(inputs)!);
            var cols = parse.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var options = stage.Job(parse, parse.GetValue(outDir)!, parse.GetValue(inputs)!, parse.GetValue(ThreadsOption))
                with { Read = new ParquetReadOptions(cols), Write = new ParquetWriteOptions(parse.GetValue(compression)) };
            var json = parse.GetValue(Cli.JsonOption);
            var result = await Progress.RunAsync("converting", json, parse.InvocationConfiguration.Error, p => ShardJob.RunAsync(files, options, (b, _) => b, p, ct));
            if (json) Cli.WriteJson(output, new { result.Processed, result.Skipped, result.RowsIn, result.RowsOut, files = result.Files });
            else output.WriteLine($"{result.Processed} file(s) written, {result.Skipped} already done; {result.RowsOut:N0} rows");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The root of relative output paths (<see cref="InputFiles.RootOf"/>).</summary>
    public static string? InputRoot(string[] inputs) => InputFiles.RootOf(inputs);
}
