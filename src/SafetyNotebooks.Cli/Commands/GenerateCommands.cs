using System.CommandLine;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb generate</c>: greedy, sampling, beam search or Safe Beam Search from a local model folder.</summary>
public static class GenerateCommands
{
    /// <summary>The JSON printed with --json: the best beam's new tokens and score, all returned beams best first.</summary>
    public sealed record Output(IReadOnlyList<int> Tokens, double Logprob, IReadOnlyList<BeamOutput> Beams, bool ShortCircuited);
    public sealed record BeamOutput(IReadOnlyList<int> Tokens, double Logprob);

    public static Command Build(LocalModelLoader? loader = null)
    {
        var load = loader ?? LocalModels.Load;
        var model = new Option<string>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)", Required = true };
        var ids = new Option<string?>("--ids") { Description = "Prompt token ids, comma-separated" };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs the folder's tokenizer)" };
        var strategy = new Option<string>("--strategy") { Description = "greedy, sample, beam or safe-beam", DefaultValueFactory = _ => "greedy" };
        strategy.AcceptOnlyFromAmong("greedy", "sample", "beam", "safe-beam");
        var maxNew = new Option<int>("--max-new-tokens") { Description = "New tokens at most", DefaultValueFactory = _ => 32 }.Within(1, 1 << 20);
        var beams = new Option<int?>("--beams") { Description = "Beams k (beam, safe-beam; default 4)" }.Within(1, 1024);
        var candidates = new Option<int?>("--candidates") { Description = "Safe Beam candidates per beam n [default: 2k]" }.Within(1, 65536);
        var discard = new Option<double?>("--discard") { Description = "Safe Beam: share of pooled candidates dropped as riskiest [default: 0.5]" }.Within(0.0, 1.0);
        var tagId = new Option<int?>("--tag-id") { Description = "Safe Beam: the harmfulness tag's token id [default: the tokenizer's <potentially_unsafe_content> token]" };
        var tag = new Option<string?>("--tag") { Description = "Safe Beam: the harmfulness tag as a token string, e.g. '<potentially_unsafe_content>'" };
        var lengthPenalty = new Option<double?>("--length-penalty") { Description = "Finished beams rank by logprob / length^X [default: beam 1.0, safe-beam 0.0]" };
        var eos = new Option<string?>("--eos-id") { Description = "End-of-sequence id, or 'none' [default: the folder's generation_config.json]" };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed [default: 0]" };
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature [default: 1.0]" }.Within(1e-6, 100.0);
        var topK = new Option<int?>("--top-k") { Description = "Sampling top-k [default: 50; 0 = off]" }.AtLeast(0);
        var topP = new Option<double?>("--top-p") { Description = "Sampling top-p [default: 1.0]" }.Within(1e-9, 1.0);
        var shortCircuit = new Option<bool>("--short-circuit") { Description = "Safe Beam: the tag may be chosen; a beam that chooses it ends" };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable; needs the tokenizer)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("generate", "Generate from a local model: greedy, sampling, beam search or Safe Beam Search (Algorithm 2)")
        {
            model, ids, prompt, strategy, maxNew, beams, candidates, discard, tagId, tag, lengthPenalty, eos, seed, temperature, topK, topP,
            shortCircuit, stop, InfoCommands.DeviceOption, Cli.JsonOption,
        };
        command.SetHandler((parse, output) =>
        {
            var kind = parse.GetValue(strategy)!;
            // Options that belong to another strategy are a usage error, not silently ignored.
            void OnlyFor(string option, bool given, params string[] kinds)
            {
                if (given && !kinds.Contains(kind))
                    throw new BadInputException($"only applies to --strategy {string.Join(" or ", kinds)}", option, value: kind);
            }
            OnlyFor("--beams", parse.GetValue(beams) is not null, "beam", "safe-beam");
            OnlyFor("--length-penalty", parse.GetValue(lengthPenalty) is not null, "beam", "safe-beam");
            OnlyFor("--candidates", parse.GetValue(candidates) is not null, "safe-beam");
            OnlyFor("--discard", parse.GetValue(discard) is not null, "safe-beam");
            OnlyFor("--tag-id", parse.GetValue(tagId) is not null, "safe-beam");
            OnlyFor("--tag", parse.GetValue(tag) is not null, "safe-beam");
            OnlyFor("--short-circuit", parse.GetValue(shortCircuit), "safe-beam");
            OnlyFor("--seed", parse.GetValue(seed) is not null, "sample");
            OnlyFor("--temperature", parse.GetValue(temperature) is not null, "sample");
            OnlyFor("--top-k", parse.GetValue(topK) is not null, "sample");
            OnlyFor("--top-p", parse.GetValue(topP) is not null, "sample");
            if ((parse.GetValue(ids) is null) == (parse.GetValue(prompt) is null))
                throw new BadInputException("give exactly one of --ids and --prompt", "generate");
            if (parse.GetValue(tagId) is not null && parse.GetValue(tag) is not null)
                throw new BadInputException("give at most one of --tag-id and --tag", "generate");
            var eosText = parse.GetValue(eos);
            int[]? eosIds = eosText is null ? null
                : eosText.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? []
                : Cli.ParseIds(eosText, "--eos-id").Select(i => (int)i).ToArray();

            var dir = parse.GetValue(model)!;
            if (!Directory.Exists(dir)) throw new BadInputException("folder not found", "--model", value: dir);
            var local = load(dir, parse.GetValue(InfoCommands.DeviceOption));
            var vocab = local.Model.VocabSize;
            var tokenizer = local.Tokenizer;
            string Needs(string option) => $"{option} needs the model's tokenizer (tokenizer.json in {dir})";

            IReadOnlyList<int> promptIds = parse.GetValue(ids) is { } idText
                ? Cli.ParseIds(idText, "--ids").Select(i => i < 0 || i >= vocab ? throw new BadInputException($"not in the vocabulary (size {vocab})", "--ids", value: i.ToString()) : (int)i).ToArray()
                : (tokenizer ?? throw new BadInputException(Needs("--prompt"), "--prompt")).Encode(parse.GetValue(prompt)!);
            var tagToken = parse.GetValue(tagId) ?? (parse.GetValue(tag) is { } tagText
                ? (tokenizer ?? throw new BadInputException(Needs("--tag"), "--tag")).TokenToId(tagText)
                  ?? throw new BadInputException("not a token of the model's vocabulary", "--tag", value: tagText)
                : kind == "safe-beam"
                    // like serve and eval: the tag the model's tokenizer defines
                    ? Serving.LocalModelChatClient.TagFromTokenizer(local)
                      ?? throw new BadInputException($"Safe Beam Search needs the harmfulness tag: the model's tokenizer has no {Tokenization.ByteLevelTokenizer.HarmfulnessTag} token; give --tag-id ID or --tag STRING", "--strategy", value: kind)
                    : 0);
            local.CheckLength(promptIds.Count, parse.GetValue(maxNew));
            var stops = parse.GetValue(stop) ?? [];
            var stopping = new Stopping(parse.GetValue(maxNew), eosIds ?? local.EosTokenIds,
                stops.Length == 0 ? null : new StopStrings(tokenizer ?? throw new BadInputException(Needs("--stop"), "--stop"), stops));

            DecodingStrategy decoding = kind switch
            {
                "greedy" => new GreedyDecoding(),
                "sample" => new SampledDecoding(parse.GetValue(seed) ?? DecodingDefaults.Seed, parse.GetValue(temperature) ?? DecodingDefaults.Temperature, parse.GetValue(topK) ?? DecodingDefaults.TopK, parse.GetValue(topP) ?? DecodingDefaults.TopP),
                "beam" => new BeamDecoding(parse.GetValue(beams) ?? DecodingDefaults.Beams, parse.GetValue(lengthPenalty) ?? DecodingDefaults.BeamLengthPenalty),
                _ => new SafeBeamDecoding(tagToken, parse.GetValue(beams) ?? DecodingDefaults.Beams, parse.GetValue(candidates), parse.GetValue(discard) ?? DecodingDefaults.Discard,
                    parse.GetValue(lengthPenalty) ?? DecodingDefaults.SafeBeamLengthPenalty, parse.GetValue(shortCircuit)),
            };
            var result = decoding.Run(local.Model, promptIds, stopping);
            var beamsOut = result.Beams.Select(b => new BeamOutput(b.Tokens, b.Score)).ToArray();
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new Output(result.Tokens, result.Score, beamsOut, result.ShortCircuited));
            else
            {
                output.WriteLine(tokenizer is null ? string.Join(",", result.Tokens) : tokenizer.Decode(result.Tokens));
                output.WriteLine($"({kind}: {result.Tokens.Count} new tokens, score {result.Score:0.####}{(result.ShortCircuited ? ", short-circuited on the harmfulness tag" : "")})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
