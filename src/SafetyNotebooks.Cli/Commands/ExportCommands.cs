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
        var input = new Option<string>("--input") { Description = "Parquet file or folder (released schema), or JSONL with a \"text\" field", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with tokenizer.json (+ tokenizer_config.json for EOS)", Required = true };
        var output = new Option<string>("--output") { Description = "Output folder (empty or new)", Required = true };
        var chunkBytes = new Option<long>("--chunk-bytes") { Description = "Target chunk size in bytes (LitGPT: 50MB = 50000000)", DefaultValueFactory = _ => LitDataFormat.DefaultChunkBytes };
        var eos = new Option<bool>("--eos") { Description = "Append EOS after each document (default true; --eos false to disable)", DefaultValueFactory = _ => true };
        var tag = new Option<string>("--tag") { Description = "Harmfulness tag added as one special token", DefaultValueFactory = _ => ByteLevelTokenizer.HarmfulnessTag };
        var threads = new Option<int>("--threads") { Description = "Tokenizer threads (output is identical for any count)", DefaultValueFactory = _ => 1 };
        var command = new Command("litdata", "Tokenize documents into LitData's optimized format (chunk-0-{i}.bin + index.json)") { input, tokenizer, output, chunkBytes, eos, tag, threads, Cli.JsonOption };
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var n = parse.GetValue(threads);
            if (n < 1) throw new BadInputException("must be at least 1", "--threads", value: n.ToString());
            OutputGuard.Folder(parse.GetValue(output)!, [parse.GetValue(input), parse.GetValue(tokenizer)]);
            var sw = Stopwatch.StartNew();
            var options = new LitDataExportOptions(parse.GetValue(chunkBytes), parse.GetValue(eos), parse.GetValue(tag)!, n);
            var r = await LitDataExporter.ExportAsync(LitDataExporter.ReadTexts(parse.GetValue(input)!, ct), parse.GetValue(tokenizer)!, parse.GetValue(output)!, options, ct);
            var (_, tagId) = LitDataExporter.TokenizerWithTag(Path.Combine(r.Directory, "tokenizer.json"), options.Tag);
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(stdout, new { output = r.Directory, r.Documents, r.Tokens, chunks = r.Chunks.Count, tag_id = tagId, seconds = sw.Elapsed.TotalSeconds });
            else
                stdout.WriteLine($"{r.Documents:N0} documents, {r.Tokens:N0} tokens in {r.Chunks.Count} chunks → {r.Directory} (tag id {tagId}; {r.Tokens / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):N0} tokens/s)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
