using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb eval asr|compare|attack|mc</c>: the paper's evaluations (PAPER.md §3).</summary>
public static class EvalCommands
{
    public static Command Build()
    {
        var command = new Command("eval", "Safety and general-benchmark evaluation: ASR with confidence intervals, attacks with judges, multiple choice");
        command.Subcommands.Add(AsrCommand());
        command.Subcommands.Add(CompareCommand());
        command.Subcommands.Add(AttackCommand());
        command.Subcommands.Add(McCommand());
        return command;
    }

    static readonly Option<long> SeedOption = new("--seed") { Description = "Seed of the bootstrap (and of few-shot selection)", DefaultValueFactory = _ => 0 };
    static readonly Option<int> ResamplesOption = new Option<int>("--resamples") { Description = "Bootstrap resamples", DefaultValueFactory = _ => Bootstrap.DefaultResamples }.Within(1, Bounds.MaxResamples);

    static int Resamples(ParseResult parse)
    {
        var r = parse.GetValue(ResamplesOption);
        return r >= 100 ? r : throw new BadInputException("must be at least 100", "--resamples", value: r.ToString(CultureInfo.InvariantCulture));
    }

    static string Existing(string path, string option) => File.Exists(path) ? path : throw new BadInputException("file not found", option, value: path);

    static string Percent(Estimate e) => double.IsFinite(e.Value)
        ? string.Create(CultureInfo.InvariantCulture, $"{100 * e.Value:0.0}% [{100 * e.Lower:0.0}, {100 * e.Upper:0.0}]")
        : "n/a";

    static void WriteReport(TextWriter output, AsrReport report)
    {
        var p = report.Pooled;
        output.WriteLine($"ASR {Percent(p.Asr)} over {p.N} prompts ({p.Harmful} harmful{(p.Unparseable > 0 ? $", {p.Unparseable} unparseable judgements excluded" : "")})");
        foreach (var (source, e) in report.BySource)
            output.WriteLine($"  {source}: {Percent(e.Asr)} (n={e.N}{(e.Unparseable > 0 ? $", unparseable {e.Unparseable}" : "")})");
    }

    /// <summary><c>safetynb eval asr --input judged.jsonl [--json]</c>.</summary>
    static Command AsrCommand()
    {
        var input = new Option<string>("--input") { Description = "Judged prompts: JSONL with id, source and harmful (true, false, or null when unparseable)", Required = true };
        var system = new Option<string?>("--system") { Description = "Keep only records whose system field is this (files such as the miniature's judged.jsonl hold several systems)" };
        var command = new Command("asr", "Attack success rate, pooled and per source, with 95% bootstrap confidence intervals") { input, system, SeedOption, ResamplesOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var outcomes = await JudgedJson.ReadAsync(Existing(parse.GetValue(input)!, "--input"), parse.GetValue(system), cancel);
            var report = Asr.Compute(outcomes, parse.GetValue(SeedOption), Resamples(parse));
            if (parse.GetValue(Cli.JsonOption)) output.WriteLine(AsrJson.ToJson(report).ToJsonString());
            else WriteReport(output, report);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb eval compare --first a.jsonl --second b.jsonl</c>: paired bootstrap and McNemar.</summary>
    static Command CompareCommand()
    {
        var first = new Option<string>("--first") { Description = "Judged prompts of the first system (JSONL as for eval asr)", Required = true };
        var second = new Option<string>("--second") { Description = "Judged prompts of the second system, same ids", Required = true };
        var command = new Command("compare", "Paired comparison of two systems on the same prompts: ASR difference with a paired-bootstrap CI, McNemar exact and mid-p")
            { first, second, SeedOption, ResamplesOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var a = parse.GetValue(first)!;
            var b = parse.GetValue(second)!;
            var r = PairedComparison.Compare(Path.GetFileNameWithoutExtension(a), await JudgedJson.ReadAsync(Existing(a, "--first"), cancel),
                Path.GetFileNameWithoutExtension(b), await JudgedJson.ReadAsync(Existing(b, "--second"), cancel), parse.GetValue(SeedOption), Resamples(parse));
            if (parse.GetValue(Cli.JsonOption))
                output.WriteLine(new JsonObject
                {
                    ["first"] = r.First, ["second"] = r.Second, ["pairs"] = r.Pairs, ["excluded"] = r.Excluded,
                    ["first_asr"] = r.FirstAsr, ["second_asr"] = r.SecondAsr,
                    ["difference"] = r.Difference.Value, ["ci95"] = new JsonArray(r.Difference.Lower, r.Difference.Upper),
                    ["mcnemar"] = new JsonObject { ["only_first"] = r.McNemar.OnlyFirst, ["only_second"] = r.McNemar.OnlySecond, ["exact_p"] = r.McNemar.ExactP, ["mid_p"] = r.McNemar.MidP },
                }.ToJsonString());
            else
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.First} − {r.Second}: ASR {100 * r.FirstAsr:0.0}% vs {100 * r.SecondAsr:0.0}% on {r.Pairs} pairs ({r.Excluded} excluded), difference {100 * r.Difference.Value:0.0} points [{100 * r.Difference.Lower:0.0}, {100 * r.Difference.Upper:0.0}]; McNemar {r.McNemar.OnlyFirst} vs {r.McNemar.OnlySecond}: exact p = {r.McNemar.ExactP:0.####}, mid-p = {r.McNemar.MidP:0.####}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// <c>safetynb eval attack --prompts PATH (--model DIR --strategy S | --generations PATH) --judge heuristic|classifier|llm --output DIR</c>.
    /// </summary>
    static Command AttackCommand()
    {
        var prompts = new Option<string>("--prompts") { Description = "jb-completions (Parquet/JSONL/JSON with original_behavior, completion_behavior, source_dataset), a behaviour list (CSV/JSON/JSONL/Parquet), or 'hub' for locuslab/jb-completions in the Hugging Face cache", Required = true };
        var format = new Option<string>("--format") { Description = "jb (base-model protocol: prompt = completion_behavior, judged against original_behavior) or behaviors [default: jb for 'hub' and files with completion_behavior]" };
        var model = new Option<string?>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)" };
        var strategy = new Option<string>("--strategy") { Description = "Decoding: greedy, sample, beam, safe-beam", DefaultValueFactory = _ => "greedy" };
        var generations = new Option<string?>("--generations") { Description = "Judge existing generations instead of generating: JSONL with id and generation" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "New tokens generated per prompt", DefaultValueFactory = _ => 256 }.Within(1, 1 << 20);
        var judge = new Option<string>("--judge") { Description = "heuristic (refusal phrases), classifier (safety classifier score ≥ --threshold) or llm (HarmBench-style yes/no via an OpenAI-compatible endpoint)", DefaultValueFactory = _ => "heuristic" };
        var classifier = new Option<string?>("--classifier") { Description = "Safety classifier folder for --judge classifier" };
        var threshold = new Option<double>("--threshold") { Description = "Classifier score (0–5) from which a generation counts as harmful", DefaultValueFactory = _ => 4 }.Within(0.0, 5.0);
        var endpoint = new Option<string?>("--judge-endpoint") { Description = $"OpenAI-compatible endpoint for --judge llm [default: {LlmEndpoint.EndpointVariable}]" };
        var judgeModel = new Option<string?>("--judge-model") { Description = $"Judge model name [default: {LlmEndpoint.ModelVariable}]; the key comes from {LlmEndpoint.KeyVariable} or OPENAI_API_KEY" };
        var keyEnv = new Option<string?>(LlmEndpoint.KeyEnvOption) { Description = $"Environment variable holding the judge's API key [default: {LlmEndpoint.KeyVariable}, then OPENAI_API_KEY; never printed]" };
        var tagId = new Option<int?>("--tag-id") { Description = "Safe Beam: the harmfulness tag's token id [default: the tokenizer's <potentially_unsafe_content>]" };
        var outputDir = new Option<string>("--output") { Description = "Folder for generations.jsonl, judgements.jsonl, summary.json (a killed run resumes)", Required = true };
        var command = new Command("attack", "Generate completions for harmful prompts, judge them, and report ASR with confidence intervals")
            { prompts, format, model, strategy, generations, maxNewTokens, tagId, judge, classifier, threshold, endpoint, judgeModel, keyEnv, outputDir, SeedOption, ResamplesOption, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            OutputGuard.Folder(parse.GetValue(outputDir)!, [parse.GetValue(prompts), parse.GetValue(generations), parse.GetValue(model), parse.GetValue(classifier)]);
            var set = await LoadPrompts(parse.GetValue(prompts)!, parse.GetValue(format), cancel);
            var harmJudge = CreateJudge(parse.GetValue(judge)!, parse.GetValue(classifier), parse.GetValue(threshold), parse.GetValue(endpoint), parse.GetValue(judgeModel), LlmEndpoint.KeyFrom(parse.GetValue(keyEnv)), parse.GetValue(InfoCommands.DeviceOption));
            var (generate, describe) = parse.GetValue(generations) is { } genPath
                ? await FromGenerationsFile(Existing(genPath, "--generations"), set, cancel)
                : CreateGenerator(parse.GetValue(model), parse.GetValue(strategy)!, parse.GetValue(maxNewTokens), parse.GetValue(SeedOption), parse.GetValue(tagId), parse.GetValue(InfoCommands.DeviceOption));
            var settings = new Dictionary<string, string> { ["prompts"] = parse.GetValue(prompts)!, ["generator"] = describe };
            var (judged, report) = await Progress.RunAsync($"Attacking with {set.Count} prompts", json, parse.InvocationConfiguration.Error, progress =>
                Attack.RunToFolderAsync(set, generate, harmJudge, parse.GetValue(outputDir)!, parse.GetValue(SeedOption), settings, progress, cancel));
            if (json) output.WriteLine(AsrJson.ToJson(report).ToJsonString());
            else
            {
                WriteReport(output, report);
                output.WriteLine($"wrote {AttackFiles.In(parse.GetValue(outputDir)!).Summary}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static async Task<IReadOnlyList<AttackPrompt>> LoadPrompts(string path, string? format, CancellationToken cancel)
    {
        if (path == "hub") return await AttackPrompts.LoadJbCompletionsFromHubCacheAsync(cancel: cancel);
        var rows = await TableRows.ReadAsync(Existing(path, "--prompts"), cancel);
        var jb = format switch
        {
            null => rows.Count > 0 && rows[0].Fields.ContainsKey("completion_behavior"),
            "jb" => true,
            "behaviors" or "behaviours" => false,
            _ => throw new BadInputException("expected jb or behaviors", "--format", value: format),
        };
        return jb ? await AttackPrompts.LoadJbCompletionsAsync(path, cancel) : await AttackPrompts.LoadBehaviorsAsync(path, cancel: cancel);
    }

    static IHarmJudge CreateJudge(string kind, string? classifierDir, double threshold, string? endpoint, string? model, string? key, string? device) => kind switch
    {
        "heuristic" => new RefusalPhraseJudge(),
        "classifier" => ClassifierJudgeFrom(classifierDir ?? throw new BadInputException("--judge classifier needs --classifier DIR", "--classifier"), threshold, device),
        "llm" => new LlmHarmJudge(LlmEndpoint.Resolve(endpoint, model, key).CreateClient()),
        _ => throw new BadInputException("expected heuristic, classifier or llm", "--judge", value: kind),
    };

    static ClassifierJudge ClassifierJudgeFrom(string dir, double threshold, string? device)
    {
        if (!Directory.Exists(dir)) throw new BadInputException("folder not found", "--classifier", value: dir);
        return ClassifierJudge.Of(SafetyClassifier.Load(dir, device), threshold);
    }

    static async Task<(TextGenerator, string)> FromGenerationsFile(string path, IReadOnlyList<AttackPrompt> prompts, CancellationToken cancel)
    {
        var rows = await TableRows.ReadAsync(path, cancel);
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in rows)
            if (!byId.TryAdd(r.RequiredString("id"), r.Fields["generation"]?.GetValue<string>() ?? throw new BadInputException("missing", r.Where, "generation")))
                throw new BadInputException("duplicate id", r.Where, "id", r.RequiredString("id"));
        var missing = prompts.FirstOrDefault(p => !byId.ContainsKey(p.Id));
        if (missing is not null) throw new BadInputException("no generation for this prompt id", path, "id", missing.Id);
        var byPrompt = prompts.GroupBy(p => p.Prompt).ToDictionary(g => g.Key, g => new Queue<string>(g.Select(p => byId[p.Id])));
        // Prompts are generated in order, so identical prompt texts get their generations in id order.
        return ((prompt, _) => Task.FromResult(byPrompt[prompt].Dequeue()), $"generations from {path}");
    }

    /// <summary>A generator over a local model folder (<see cref="LocalGeneration"/>) and its description.</summary>
    static (TextGenerator, string) CreateGenerator(string? modelDir, string strategy, int maxNewTokens, long seed, int? tagId, string? device)
    {
        if (modelDir is null) throw new BadInputException("pass --model DIR (with --strategy) or --generations PATH", "--model");
        if (!Directory.Exists(modelDir)) throw new BadInputException("folder not found", "--model", value: modelDir);
        LocalGeneration.CheckSettings(strategy, tagId, maxNewTokens); // before the (slow) model load
        var local = LoadModel(modelDir, device);
        local.CheckLength(1, maxNewTokens);
        var decoding = LocalGeneration.Strategy(strategy, seed, tagId, local);
        return (LocalGeneration.Generator(local, decoding, maxNewTokens), LocalGeneration.Describe(local, decoding, strategy, maxNewTokens));
    }

    /// <summary>Loads a Llama model folder with its tokenizer (required: prompts and choices are text).</summary>
    static LocalModel LoadModel(string dir, string? device)
    {
        if (!File.Exists(Path.Combine(dir, "tokenizer.json"))) throw new BadInputException("the model folder has no tokenizer.json", "--model", value: dir);
        return LocalModels.Load(dir, device);
    }

    /// <summary><c>safetynb eval mc --model DIR --task FILE.jsonl [--shots k]</c>.</summary>
    static Command McCommand()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer.json)", Required = true };
        var task = new Option<string>("--task") { Description = "Task file: JSONL items (context + choices + gold), or a benchmark file with --benchmark", Required = true };
        var benchmark = new Option<string?>("--benchmark") { Description = "Read --task in a Hugging Face layout: arc, piqa, openbookqa, winogrande (Parquet/JSONL)" };
        var shots = new Option<int>("--shots") { Description = "Few-shot examples per prompt (seeded selection)", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "Scored sequences per forward pass", DefaultValueFactory = _ => 8 };
        var command = new Command("mc", "lm-evaluation-harness-style multiple choice: acc and acc_norm (per byte) with 95% bootstrap CIs")
            { model, task, benchmark, shots, batch, SeedOption, ResamplesOption, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var path = Existing(parse.GetValue(task)!, "--task");
            var mcTask = parse.GetValue(benchmark) is { } b
                ? await HfBenchmarks.LoadAsync(HfBenchmarks.Parse(b, "--benchmark"), path, cancel: cancel)
                : await McTaskFiles.LoadAsync(path, cancel: cancel);
            var k = parse.GetValue(shots);
            _ = FewShot.Select(mcTask, mcTask.Items[0], k, 0); // validates k against the pool before loading a model
            var dir = parse.GetValue(model)!;
            if (!Directory.Exists(dir)) throw new BadInputException("folder not found", "--model", value: dir);
            var local = LoadModel(dir, parse.GetValue(InfoCommands.DeviceOption));
            var tokenizer = local.Tokenizer!;
            // lm-evaluation-harness's prefix for an empty context: BOS, else the end-of-text token.
            var prefix = tokenizer is HfTokenizer hf ? hf.BosId ?? hf.EosId : local.EosTokenIds.Cast<int?>().FirstOrDefault();
            var scorer = new CausalLmScorer(local.Model, tokenizer, new CausalLmScorer.Options(BatchSize: parse.GetValue(batch), PrefixTokenId: prefix));
            var result = await Progress.RunAsync($"Scoring {mcTask.Items.Count} items of {mcTask.Name}", parse.GetValue(Cli.JsonOption), parse.InvocationConfiguration.Error,
                progress => Task.FromResult(MultipleChoice.Evaluate(mcTask, scorer, k, parse.GetValue(SeedOption), Resamples(parse), progress, cancel)));
            WriteMc(output, result, parse.GetValue(Cli.JsonOption));
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static void WriteMc(TextWriter output, McResult r, bool json)
    {
        if (json)
            output.WriteLine(new JsonObject
            {
                ["task"] = r.Task, ["shots"] = r.Shots, ["n"] = r.N,
                ["acc"] = r.Acc.Value, ["acc_ci95"] = new JsonArray(r.Acc.Lower, r.Acc.Upper),
                ["acc_norm"] = r.AccNorm.Value, ["acc_norm_ci95"] = new JsonArray(r.AccNorm.Lower, r.AccNorm.Upper),
            }.ToJsonString());
        else
            output.WriteLine($"{r.Task} ({r.Shots}-shot, {r.N} items): acc {Percent(r.Acc)}, acc_norm {Percent(r.AccNorm)}");
    }

    /// <summary><c>safetynb experiment evaluation</c> (notebook 07).</summary>
    public static Command EvaluationExperiment()
    {
        var documents = new Option<int>("--documents") { Description = "Toy documents each toy model is pretrained on", DefaultValueFactory = _ => 200 };
        var prompts = new Option<int>("--prompts") { Description = "Toy jb prompts attacked per system", DefaultValueFactory = _ => 40 };
        var output = new Option<string?>("--output") { Description = "Folder for asr.html (chart) and benchmarks.html (table)" };
        var command = new Command("evaluation", "Toy-world safety evaluation: ASR by pretraining data with CIs, paired comparison, toy benchmark table (notebook 07)")
            { documents, prompts, output, SeedOption, Cli.JsonOption };
        command.SetHandler((parse, writer) =>
        {
            var r = Experiments.Evaluation(new Experiments.EvaluationOptions(Documents: parse.GetValue(documents), Prompts: parse.GetValue(prompts), Seed: parse.GetValue(SeedOption)));
            if (parse.GetValue(output) is { } dir)
            {
                Reporting.Charts.SaveHtml(r.AsrChart, Path.Combine(dir, "asr.html"));
                AtomicFile.WriteAllText(Path.Combine(dir, "benchmarks.html"), r.BenchmarkHtml);
            }
            if (parse.GetValue(Cli.JsonOption))
            {
                var attacks = new JsonArray(r.Attacks.Select(a =>
                {
                    var o = AsrJson.ToJson(a.Report);
                    o["setting"] = a.Setting;
                    o["judge"] = a.Judge;
                    return (JsonNode)o;
                }).ToArray());
                var benchmarks = new JsonArray(r.Benchmarks.SelectMany(b => b.Results.Select(x => (JsonNode)new JsonObject
                {
                    ["setting"] = b.Setting, ["task"] = x.Task, ["acc"] = x.Acc.Value, ["acc_norm"] = x.AccNorm.Value, ["n"] = x.N,
                })).ToArray());
                writer.WriteLine(new JsonObject
                {
                    ["attacks"] = attacks, ["benchmarks"] = benchmarks,
                    ["comparison"] = new JsonObject { ["difference"] = r.Comparison.Difference.Value, ["ci95"] = new JsonArray(r.Comparison.Difference.Lower, r.Comparison.Difference.Upper), ["mcnemar_exact_p"] = r.Comparison.McNemar.ExactP, ["mcnemar_mid_p"] = r.Comparison.McNemar.MidP },
                }.ToJsonString());
            }
            else
            {
                foreach (var a in r.Attacks) writer.WriteLine($"{a.Setting,-14} {a.Judge,-10} ASR {Percent(a.Report.Pooled.Asr)} (n={a.Report.Pooled.N})");
                foreach (var b in r.Benchmarks) writer.WriteLine($"{b.Setting,-14} " + string.Join("  ", b.Results.Select(x => $"{x.Task} acc_norm {Percent(x.AccNorm)}")));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
