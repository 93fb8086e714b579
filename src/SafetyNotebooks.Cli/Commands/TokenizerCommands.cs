using System.CommandLine;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb tokenizer train</c>: a byte-level BPE tokenizer learned on corpus files (the miniature's vocabulary).</summary>
public static class TokenizerCommands
{
    public static Command Build()
    {
        var command = new Command("tokenizer", "Tokenizers for the toy world");
        var input = new Option<string[]>("--input") { Description = "Parquet or JSONL file(s) or folder(s), searched recursively", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Folder for tokenizer.json and tokenizer_config.json", Required = true };
        var merges = new Option<int>("--merges") { Description = "BPE merges to learn", DefaultValueFactory = _ => 1500 };
        var train = new Command("train", "Learn a byte-level BPE (EOS and the harmfulness tag as special tokens) on the texts of corpus files") { input, output, merges, Cli.JsonOption };
        train.SetHandler(async (parse, stdout, ct) =>
        {
            var tok = await BpeTokenizerFiles.TrainAsync(parse.GetValue(input)!, parse.GetValue(merges), parse.GetValue(output)!, ct: ct);
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(stdout, new { output = Path.GetFullPath(parse.GetValue(output)!), vocab_size = tok.VocabSize });
            else stdout.WriteLine($"{tok.VocabSize} ids → {Path.GetFullPath(parse.GetValue(output)!)}");
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(train);
        return command;
    }
}
