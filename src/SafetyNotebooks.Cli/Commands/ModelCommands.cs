using System.CommandLine;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb model info|logits</c>: inspect a Hugging Face Llama checkpoint and run it.</summary>
public static class ModelCommands
{
    static readonly Option<string> ModelOption = new("--model") { Description = "Model folder (config.json + model.safetensors or a shard index)", Required = true };
    static readonly Option<string> DTypeOption = new("--dtype") { Description = "float32, bfloat16 or float16", DefaultValueFactory = _ => "float32" };

    public static Command Build()
    {
        var command = new Command("model", "Inspect and run Llama (SmolLM2 / SafeLM) checkpoints");
        command.Subcommands.Add(Info());
        command.Subcommands.Add(Logits());
        return command;
    }

    static Command Info()
    {
        var command = new Command("info", "Print a checkpoint's shape, parameter count and weight files") { ModelOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var dir = parse.GetValue(ModelOption)!;
            var (config, files) = LlamaModel.Check(dir); // refuse what `model logits` would refuse, with its message
            var dtypes = files.SelectMany(f => Safetensors.ReadHeader(f).Entries).Select(e => e.DType).Distinct().Order().ToArray();
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new
                {
                    architecture = "LlamaForCausalLM", config.VocabSize, config.HiddenSize, config.IntermediateSize, num_hidden_layers = config.NumLayers,
                    num_attention_heads = config.NumHeads, num_key_value_heads = config.NumKvHeads, config.HeadDim, config.RopeTheta, config.RmsNormEps,
                    tie_word_embeddings = config.TieWordEmbeddings, parameters = config.ParameterCount,
                    weight_files = files.Select(Path.GetFileName).ToArray(), weight_dtypes = dtypes,
                });
            else
                output.WriteLine($"LlamaForCausalLM: {config.ParameterCount:N0} parameters; {config.NumLayers} layers, hidden {config.HiddenSize}, " +
                                 $"{config.NumHeads} heads / {config.NumKvHeads} KV heads (head_dim {config.HeadDim}), MLP {config.IntermediateSize}, " +
                                 $"vocab {config.VocabSize}, rope_theta {config.RopeTheta}, rms_norm_eps {config.RmsNormEps}, tied embeddings: {config.TieWordEmbeddings}; " +
                                 $"weights {string.Join(", ", files.Select(Path.GetFileName))} ({string.Join("/", dtypes)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Logits()
    {
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids, e.g. 1,17,42", Required = true };
        var command = new Command("logits", "Print next-token logits (float32) for every position of one sequence") { ModelOption, ids, InfoCommands.DeviceOption, DTypeOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var tokens = Cli.ParseIds(parse.GetValue(ids)!, "--ids");
            var dtype = LlamaModel.ParseDType(parse.GetValue(DTypeOption)!);
            var device = Torch.Device(parse.GetValue(InfoCommands.DeviceOption));
            var model = LlamaModel.Load(parse.GetValue(ModelOption)!, device, dtype);
            if (tokens.Where(t => t < 0 || t >= model.VocabSize).Select(t => (long?)t).FirstOrDefault() is { } outside)
                throw new BadInputException($"token id outside the vocabulary [0, {model.VocabSize})", "--ids", value: outside.ToString());
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = model.Forward(tensor(tokens).unsqueeze(0))[0].cpu();
            var rows = Enumerable.Range(0, tokens.Length).Select(i => logits[i].data<float>().ToArray()).ToArray();
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { logits = rows });
            else
                for (var i = 0; i < rows.Length; i++)
                {
                    var top = rows[i].Select((v, j) => (v, j)).OrderByDescending(p => p.v).Take(5);
                    output.WriteLine($"position {i} (id {tokens[i]}): top next ids {string.Join(", ", top.Select(p => $"{p.j} ({p.v:0.###})"))}");
                }
            return ExitCodes.Ok;
        });
        return command;
    }
}
