using System.CommandLine;
using System.Diagnostics;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb export litdata</c>: tokenize documents into LitData chunks for <c>litgpt pretrain --data LitData</c>.</summary>
public static class ExportCommands
{
    public static Command Build()
    {
        var command = new Command("export", "Export data for external training engines");
        command.Subcommands.Add(LitData());
        return command;
    }

    static Command LitData()
    {
        var input = new Option<string[]>("--input") { Description = "Parquet (released schema) or JSONL (\"text\") file(s) or folder(s), searched recursively; split folders (train/, test/) become one LitData folder each", Required = true, AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with tokenizer.json (+ tokenizer_config.json for EOS)", Required = true };
        var output = new Option<string>("--output") { Description = "Output folder (resumable: finished units are kept)", Required = true };
        var chunkBytes = new Option<long>("--chunk-bytes") { Description = "Target chunk size in bytes (LitGPT: 50MB = 50000000)", DefaultValueFactory = _ => LitDataFormat.DefaultChunkBytes };
        var eos = new Option<bool>("--eos") { Description = "Append EOS after each document (--eos false to disable)", DefaultValueFactory = _ => true };
        var tag = new Option<string>("--tag") { Description = "Harmfulness tag added as one special token", DefaultValueFactory = _ => ByteLevelTokenizer.HarmfulnessTag };
        var threads = new Option<int>("--threads") { Description = "Tokenizer threads (output is identical for any count)", DefaultValueFactory = _ => 1 };
        var stage = StageOptions.Create();
        var command = stage.AddTo(new Command("litdata", "Tokenize documents into LitData's optimized format (chunk-0-{i}.bin + index.json)") { input, tokenizer, output, chunkBytes, eos, tag, threads, Cli.JsonOption });
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var n = parse.GetValue(threads);
            if (n < 1) throw new BadInputException("must be at least 1", "--threads", value: n.ToString());
            OutputGuard.Folder(parse.GetValue(output)!, [.. parse.GetValue(input)!, parse.GetValue(tokenizer)]);
            var sw = Stopwatch.StartNew();
            var options = new LitDataExportOptions(parse.GetValue(chunkBytes), parse.GetValue(eos), parse.GetValue(tag)!, n);
            var outDir = parse.GetValue(output)!;
            var json = parse.GetValue(Cli.JsonOption);
            var r = await Progress.RunAsync("exporting", json, parse.InvocationConfiguration.Error, p => LitDataJob.RunAsync(parse.GetValue(input)!, parse.GetValue(tokenizer)!, outDir, options,
                parse.GetValue(stage.ShardIndex), parse.GetValue(stage.NumShards), parse.GetValue(stage.RowGroupsPerUnit), p, ct));
            var (_, tagId) = LitDataExporter.TokenizerWithTag(Path.Combine(outDir, "tokenizer.json"), options.Tag);
            if (json)
                Cli.WriteJson(stdout, new
                {
                    output = Path.GetFullPath(outDir), complete = r.Complete, units = r.Job.Files.Count, processed = r.Job.Processed, skipped = r.Job.Skipped,
                    documents = r.Complete ? r.Documents : r.Job.RowsOut, tokens = r.Tokens, chunks = r.Splits.Sum(s => s.Export.Chunks.Count),
                    splits = r.Splits.Select(s => new { split = s.Split, path = s.Export.Directory, documents = s.Export.Documents, tokens = s.Export.Tokens, chunks = s.Export.Chunks.Count }),
                    tag_id = tagId, seconds = sw.Elapsed.TotalSeconds,
                });
            else if (!r.Complete)
                stdout.WriteLine($"{r.Job.Processed} unit(s) tokenized, {r.Job.Skipped} already done ({r.Job.RowsOut:N0} documents); the LitData folders are merged when every worker's units are done");
            else
                foreach (var s in r.Splits)
                    stdout.WriteLine($"{s.Export.Documents:N0} documents, {s.Export.Tokens:N0} tokens in {s.Export.Chunks.Count} chunks → {s.Export.Directory} (tag id {tagId}; {r.Tokens / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):N0} tokens/s)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
