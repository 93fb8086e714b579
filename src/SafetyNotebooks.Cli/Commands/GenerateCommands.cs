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
        var o = new Options();
        var command = new Command("generate", "Generate from a local model: greedy, sampling, beam search or Safe Beam Search (Algorithm 2)")
        {
            o.Model, o.Ids, o.Prompt, o.Strategy, o.MaxNew, o.Beams, o.Candidates, o.Discard, o.TagId, o.Tag, o.LengthPenalty, o.Eos, o.Seed,
            o.Temperature, o.TopK, o.TopP, o.ShortCircuit, o.Stop, InfoCommands.DeviceOption, Cli.JsonOption,
        };
        command.SetHandler((parse, output) => Run(parse, output, o, load));
        return command;
    }

    /// <summary>The command's options, each declared once.</summary>
    sealed record Options
    {
        public Option<string> Model { get; } = new("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)", Required = true };
        public Option<string?> Ids { get; } = new("--ids") { Description = "Prompt token ids, comma-separated" };
        public Option<string?> Prompt { get; } = new("--prompt") { Description = "Prompt text (needs the folder's tokenizer)" };
        public Option<string> Strategy { get; } = StrategyOption();
        public Option<int> MaxNew { get; } = new Option<int>("--max-new-tokens") { Description = "New tokens at most", DefaultValueFactory = _ => 32 }.Within(1, 1 << 20);
        public Option<int?> Beams { get; } = new Option<int?>("--beams") { Description = "Beams k (beam, safe-beam; default 4)" }.Within(1, 1024);
        public Option<int?> Candidates { get; } = new Option<int?>("--candidates") { Description = "Safe Beam candidates per beam n [default: 2k]" }.Within(1, 65536);
        public Option<double?> Discard { get; } = new Option<double?>("--discard") { Description = "Safe Beam: share of pooled candidates dropped as riskiest [default: 0.5]" }.Within(0.0, 1.0);
        public Option<int?> TagId { get; } = new("--tag-id") { Description = "Safe Beam: the harmfulness tag's token id [default: the tokenizer's <potentially_unsafe_content> token]" };
        public Option<string?> Tag { get; } = new("--tag") { Description = "Safe Beam: the harmfulness tag as a token string, e.g. '<potentially_unsafe_content>'" };
        public Option<double?> LengthPenalty { get; } = new("--length-penalty") { Description = "Finished beams rank by logprob / length^X [default: beam 1.0, safe-beam 0.0]" };
        public Option<string?> Eos { get; } = new("--eos-id") { Description = "End-of-sequence id, or 'none' [default: the folder's generation_config.json]" };
        public Option<long?> Seed { get; } = new("--seed") { Description = "Sampling seed [default: 0]" };
        public Option<double?> Temperature { get; } = new Option<double?>("--temperature") { Description = "Sampling temperature [default: 1.0]" }.Within(1e-6, 100.0);
        public Option<int?> TopK { get; } = new Option<int?>("--top-k") { Description = "Sampling top-k [default: 50; 0 = off]" }.AtLeast(0);
        public Option<double?> TopP { get; } = new Option<double?>("--top-p") { Description = "Sampling top-p [default: 1.0]" }.Within(1e-9, 1.0);
        public Option<bool> ShortCircuit { get; } = new("--short-circuit") { Description = "Safe Beam: the tag may be chosen; a beam that chooses it ends" };
        public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable; needs the tokenizer)", AllowMultipleArgumentsPerToken = false };

        static Option<string> StrategyOption()
        {
            var strategy = new Option<string>("--strategy") { Description = "greedy, sample, beam or safe-beam", DefaultValueFactory = _ => "greedy" };
            strategy.AcceptOnlyFromAmong("greedy", "sample", "beam", "safe-beam");
            return strategy;
        }
    }

    static int Run(ParseResult parse, TextWriter output, Options o, LocalModelLoader load)
    {
        var kind = parse.GetValue(o.Strategy)!;
        CheckOptions(parse, o, kind);
        var eosIds = EosIds(parse.GetValue(o.Eos));
        var dir = parse.GetValue(o.Model)!;
        if (!Directory.Exists(dir)) throw new BadInputException("folder not found", "--model", value: dir);
        var local = load(dir, parse.GetValue(InfoCommands.DeviceOption));
        var promptIds = PromptIds(parse, o, local, dir);
        var tagToken = TagToken(parse, o, local, dir, kind);
        local.CheckLength(promptIds.Count, parse.GetValue(o.MaxNew));
        var stops = parse.GetValue(o.Stop) ?? [];
        var stopping = new Stopping(parse.GetValue(o.MaxNew), eosIds ?? local.EosTokenIds,
            stops.Length == 0 ? null : new StopStrings(local.Tokenizer ?? throw new BadInputException(Needs("--stop", dir), "--stop"), stops));
        var result = Strategy(parse, o, kind, tagToken).Run(local.Model, promptIds, stopping);
        Write(output, parse.GetValue(Cli.JsonOption), result, kind, local.Tokenizer);
        return ExitCodes.Ok;
    }

    // options that belong to another strategy are a usage error, not silently ignored; so are contradicting pairs
    static void CheckOptions(ParseResult parse, Options o, string kind)
    {
        void OnlyFor(string option, bool given, params string[] kinds)
        {
            if (given && !kinds.Contains(kind))
                throw new BadInputException($"only applies to --strategy {string.Join(" or ", kinds)}", option, value: kind);
        }
        OnlyFor("--beams", parse.GetValue(o.Beams) is not null, "beam", "safe-beam");
        OnlyFor("--length-penalty", parse.GetValue(o.LengthPenalty) is not null, "beam", "safe-beam");
        OnlyFor("--candidates", parse.GetValue(o.Candidates) is not null, "safe-beam");
        OnlyFor("--discard", parse.GetValue(o.Discard) is not null, "safe-beam");
        OnlyFor("--tag-id", parse.GetValue(o.TagId) is not null, "safe-beam");
        OnlyFor("--tag", parse.GetValue(o.Tag) is not null, "safe-beam");
        OnlyFor("--short-circuit", parse.GetValue(o.ShortCircuit), "safe-beam");
        OnlyFor("--seed", parse.GetValue(o.Seed) is not null, "sample");
        OnlyFor("--temperature", parse.GetValue(o.Temperature) is not null, "sample");
        OnlyFor("--top-k", parse.GetValue(o.TopK) is not null, "sample");
        OnlyFor("--top-p", parse.GetValue(o.TopP) is not null, "sample");
        if ((parse.GetValue(o.Ids) is null) == (parse.GetValue(o.Prompt) is null))
            throw new BadInputException("give exactly one of --ids and --prompt", "generate");
        if (parse.GetValue(o.TagId) is not null && parse.GetValue(o.Tag) is not null)
            throw new BadInputException("give at most one of --tag-id and --tag", "generate");
    }

    // --eos-id: null for the folder's own, empty for 'none'
    static int[]? EosIds(string? text) =>
        text is null ? null
        : text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? []
        : Cli.ParseIds(text, "--eos-id").Select(i => (int)i).ToArray();

    static string Needs(string option, string dir) => $"{option} needs the model's tokenizer (tokenizer.json in {dir})";

    static IReadOnlyList<int> PromptIds(ParseResult parse, Options o, LocalModel local, string dir)
    {
        var vocab = local.Model.VocabSize;
        return parse.GetValue(o.Ids) is { } idText
            ? Cli.ParseIds(idText, "--ids").Select(i => i < 0 || i >= vocab ? throw new BadInputException($"not in the vocabulary (size {vocab})", "--ids", value: i.ToString()) : (int)i).ToArray()
            : (local.Tokenizer ?? throw new BadInputException(Needs("--prompt", dir), "--prompt")).Encode(parse.GetValue(o.Prompt)!);
    }

    // --tag-id, else --tag looked up in the vocabulary, else (safe-beam) the tag the model's tokenizer defines, like serve and eval
    static int TagToken(ParseResult parse, Options o, LocalModel local, string dir, string kind) =>
        parse.GetValue(o.TagId) ?? (parse.GetValue(o.Tag) is { } tagText
            ? (local.Tokenizer ?? throw new BadInputException(Needs("--tag", dir), "--tag")).TokenToId(tagText)
              ?? throw new BadInputException("not a token of the model's vocabulary", "--tag", value: tagText)
            : kind == "safe-beam"
                ? Serving.LocalModelChatClient.TagFromTokenizer(local)
                  ?? throw new BadInputException($"Safe Beam Search needs the harmfulness tag: the model's tokenizer has no {Tokenization.ByteLevelTokenizer.HarmfulnessTag} token; give --tag-id ID or --tag STRING", "--strategy", value: kind)
                : 0);

    static DecodingStrategy Strategy(ParseResult parse, Options o, string kind, int tagToken) => kind switch
    {
        "greedy" => new GreedyDecoding(),
        "sample" => new SampledDecoding(parse.GetValue(o.Seed) ?? DecodingDefaults.Seed, parse.GetValue(o.Temperature) ?? DecodingDefaults.Temperature, parse.GetValue(o.TopK) ?? DecodingDefaults.TopK, parse.GetValue(o.TopP) ?? DecodingDefaults.TopP),
        "beam" => new BeamDecoding(parse.GetValue(o.Beams) ?? DecodingDefaults.Beams, parse.GetValue(o.LengthPenalty) ?? DecodingDefaults.BeamLengthPenalty),
        _ => new SafeBeamDecoding(tagToken, parse.GetValue(o.Beams) ?? DecodingDefaults.Beams, parse.GetValue(o.Candidates), parse.GetValue(o.Discard) ?? DecodingDefaults.Discard,
            parse.GetValue(o.LengthPenalty) ?? DecodingDefaults.SafeBeamLengthPenalty, parse.GetValue(o.ShortCircuit)),
    };

    static void Write(TextWriter output, bool json, GenerationResult result, string kind, Tokenization.ITextTokenizer? tokenizer)
    {
        var beamsOut = result.Beams.Select(b => new BeamOutput(b.Tokens, b.Score)).ToArray();
        if (json)
            Cli.WriteJson(output, new Output(result.Tokens, result.Score, beamsOut, result.ShortCircuited));
        else
        {
            output.WriteLine(tokenizer is null ? string.Join(",", result.Tokens) : tokenizer.Decode(result.Tokens));
            output.WriteLine($"({kind}: {result.Tokens.Count} new tokens, score {result.Score:0.####}{(result.ShortCircuited ? ", short-circuited on the harmfulness tag" : "")})");
        }
    }
}
