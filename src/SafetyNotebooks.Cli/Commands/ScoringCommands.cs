using System.CommandLine;
using System.Text.Json;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks.Cli.Commands;

/// <summary>Safety scoring (PAPER.md §1.1): <c>classify</c>, <c>score</c> and <c>scoring train|metrics</c>.</summary>
public static class ScoringCommands
{
    /// <summary><c>safetynb classify --model DIR --batch FILE.json --json</c>: logits and 0–5 scores of pre-tokenised rows.</summary>
    public static Command Classify()
    {
        var model = new Option<string>("--model") { Description = "Classifier folder (config.json + model.safetensors)", Required = true };
        var batch = new Option<string>("--batch") { Description = "JSON with input_ids, attention_mask and optional token_type_ids (lists of rows)", Required = true };
        var command = new Command("classify", "Run the safety classifier on a pre-tokenised batch") { model, batch, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var path = parse.GetValue(batch)!;
            var (ids, mask, types) = ReadBatch(path);
            using var classifier = GteForSequenceClassification.Load(parse.GetValue(model)!, Torch.Device(parse.GetValue(InfoCommands.DeviceOption)));
            if (ids.Cast<long>().Any(i => i < 0 || i >= classifier.Config.VocabSize))
                throw new BadInputException($"token ids must be in 0..{classifier.Config.VocabSize - 1}", path, "input_ids");
            // Without a token-type table (type_vocab_size 0, as in the released gte-base-en-v1.5) Hugging Face ignores token types.
            if (classifier.Config.TypeVocabSize == 0) types = null;
            if (types is not null && types.Cast<long>().Any(i => i < 0 || i >= classifier.Config.TypeVocabSize))
                throw new BadInputException($"token types must be in 0..{classifier.Config.TypeVocabSize - 1}", path, "token_type_ids");
            var logits = SafetyClassifier.BatchLogits(classifier, ids, mask, types);
            var scores = logits.Select(row => Array.IndexOf(row, row.Max())).ToArray();
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { logits, scores });
            else
                for (var r = 0; r < logits.Length; r++)
                    output.WriteLine($"row {r}: score {scores[r]}  logits [{string.Join(", ", logits[r].Select(x => x.ToString("0.0000")))}]");
            return ExitCodes.Ok;
        });
        return command;
    }

    static (long[,] Ids, long[,] Mask, long[,]? Types) ReadBatch(string path)
    {
        if (Directory.Exists(path)) throw new BadInputException("is a folder; a JSON batch file is expected", "--batch", value: path);
        if (!File.Exists(path)) throw new BadInputException("batch file not found", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }
        using var _ = doc;
        long[,]? Rows(string field, bool required)
        {
            if (!doc.RootElement.TryGetProperty(field, out var e) || e.ValueKind == JsonValueKind.Null)
                return required ? throw new BadInputException("missing", path, field) : null;
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new BadInputException("expected a non-empty list of rows", path, field);
            var rows = e.EnumerateArray().Select((row, r) => row.ValueKind == JsonValueKind.Array
                ? row.EnumerateArray().Select(v => v.TryGetInt64(out var x) ? x : throw new BadInputException("not an integer", path, $"{field}[{r}]", v.GetRawText())).ToArray()
                : throw new BadInputException("expected a list", path, $"{field}[{r}]")).ToArray();
            var width = rows[0].Length;
            if (width == 0 || rows.Any(r => r.Length != width)) throw new BadInputException("rows must be non-empty and of equal length (pad them)", path, field);
            var a = new long[rows.Length, width];
            for (var r = 0; r < rows.Length; r++) for (var t = 0; t < width; t++) a[r, t] = rows[r][t];
            return a;
        }
        var ids = Rows("input_ids", true)!;
        var mask = Rows("attention_mask", false) ?? Ones(ids.GetLength(0), ids.GetLength(1));
        var types = Rows("token_type_ids", false);
        foreach (var (name, m) in new[] { ("attention_mask", mask), ("token_type_ids", types) })
            if (m is not null && (m.GetLength(0) != ids.GetLength(0) || m.GetLength(1) != ids.GetLength(1)))
                throw new BadInputException($"shape differs from input_ids [{ids.GetLength(0)}, {ids.GetLength(1)}]", path, name);
        for (var r = 0; r < mask.GetLength(0); r++)
            if (mask[r, 0] == 0) throw new BadInputException("the first token of every row must be attended to", path, $"attention_mask[{r}]");
        return (ids, mask, types);
    }

    static long[,] Ones(int rows, int cols)
    {
        var a = new long[rows, cols];
        for (var r = 0; r < rows; r++) for (var c = 0; c < cols; c++) a[r, c] = 1;
        return a;
    }

    /// <summary><c>safetynb score --input PATH --output DIR [--classifier DIR] [--llm-endpoint URL --llm-model NAME] [--ensemble max]</c>.</summary>
    public static Command Score()
    {
        var input = new Option<string[]>("--input") { Description = "Parquet file(s) or folder(s), searched recursively (id and text columns)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Output folder (same file names, plus safety_score, safety_score_source, safety_reason)", Required = true };
        var classifier = new Option<string?>("--classifier") { Description = "Classifier folder (config.json, model.safetensors, tokenizer.json)" };
        var endpoint = new Option<string?>("--llm-endpoint") { Description = $"OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 [default: {LlmEndpoint.EndpointVariable}]" };
        var model = new Option<string?>("--llm-model") { Description = $"Judge model name [default: {LlmEndpoint.ModelVariable}]" };
        var keyEnv = new Option<string?>(LlmEndpoint.KeyEnvOption) { Description = $"Environment variable holding the judge's API key [default: {LlmEndpoint.KeyVariable}, then OPENAI_API_KEY; never printed]" };
        var concurrency = new Option<int>("--llm-concurrency") { Description = "Judge requests in flight", DefaultValueFactory = _ => 8 }.Within(1, 256);
        var maxUnscored = new Option<int>("--llm-max-unscored") { Description = "Rows the job may leave without any score before it fails [default: 0; a rerun resumes]", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var attempts = new Option<int>("--llm-attempts") { Description = "Attempts per text on transient errors (timeouts, 5xx, 429)", DefaultValueFactory = _ => 4 }.Within(1, 20);
        var ensemble = new Option<string>("--ensemble") { Description = "How to combine classifier and judge (the paper: max)", DefaultValueFactory = _ => "max" };
        var maxLength = new Option<int?>("--max-length") { Description = "Classifier chunk length in tokens [default: the model's maximum]" }.Within(3, 1 << 20);
        var stage = StageOptions.Create();
        var command = stage.AddTo(new Command("score", "Add 0–5 safety scores to documents with the classifier, an LLM judge, or both (max)")
            { input, output, classifier, endpoint, model, keyEnv, concurrency, attempts, maxUnscored, ensemble, maxLength, InfoCommands.DeviceOption, Cli.JsonOption });
        command.SetHandler(async (parse, stdout, cancel) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            OutputGuard.Folder(parse.GetValue(output)!, [.. parse.GetValue(input)!, parse.GetValue(classifier)]);
            if (parse.GetValue(ensemble) != "max") throw new BadInputException("only max is supported", "--ensemble", value: parse.GetValue(ensemble));
            var useLlm = parse.GetValue(endpoint) is not null || parse.GetValue(model) is not null
                || parse.GetValue(classifier) is null && Environment.GetEnvironmentVariable(LlmEndpoint.EndpointVariable) is not null;
            var judge = useLlm ? LlmEndpoint.Resolve(parse.GetValue(endpoint), parse.GetValue(model), LlmEndpoint.KeyFrom(parse.GetValue(keyEnv))) : null;
            using var scorer = parse.GetValue(classifier) is { } dir ? SafetyClassifier.Load(dir, parse.GetValue(InfoCommands.DeviceOption), parse.GetValue(maxLength)) : null;
            using var client = judge?.CreateClient();
            var options = new ScoreCorpusOptions(scorer, client, new LlmScoringOptions(MaxConcurrency: parse.GetValue(concurrency), MaxAttempts: parse.GetValue(attempts)), MaxUnscored: parse.GetValue(maxUnscored));
            var job = stage.Job(parse, parse.GetValue(output)!, parse.GetValue(input)!);
            var result = await Progress.RunAsync("scoring documents", json, parse.InvocationConfiguration.Error,
                progress => DocumentScoring.ScoreAsync(parse.GetValue(input)!, job, options, progress, cancel));
            var failures = await DocumentScoring.CountLlmFailuresAsync(parse.GetValue(output)!, cancel);
            if (json) Cli.WriteJson(stdout, new { documents = result.RowsOut, processed = result.Processed, skipped = result.Skipped, files = result.Files.Select(s => new { s.Input, s.Output, rows = s.RowsOut, s.Skipped }), llm_failures = failures, judge = judge?.ToString() });
            else
            {
                foreach (var s in result.Files)
                    stdout.WriteLine(s.Skipped ? $"{s.Output}: already scored, skipped" : $"{s.Output}: {s.RowsOut} rows scored");
                if (failures > 0) stdout.WriteLine($"{failures} judge answers could not be read (safety_score left empty for those rows unless the classifier scored them)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb scoring train|metrics</c>.</summary>
    public static Command Scoring()
    {
        var command = new Command("scoring", "Train safety classifiers and compute scoring metrics");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Metrics());
        command.Subcommands.Add(ToyClassifierCommand.Build());
        return command;
    }

    static Command Train()
    {
        var config = new Option<string>("--config") { Description = "Training configuration (YAML: train, eval, output, checkpoints, recipe lp-ft|small-model|toy, init_from, lambda, seed, max_length, epochs, device; README 'Safety scoring' → 'Training' has an example)", Required = true };
        var command = new Command("train", "Train a 0–5 safety classifier (LP-FT, small-model or toy recipe); resumes from its checkpoints") { config, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            var c = TrainingConfig.Load(parse.GetValue(config)!);
            OutputGuard.Folder(c.Output, [c.Train, c.Eval, parse.GetValue(config)], "output");
            var all = LabeledTexts.ReadJsonl(c.Train);
            var (train, eval) = c.Eval is null ? LabeledTexts.Split(all, c.EvalFraction, c.Seed) : (all, LabeledTexts.ReadJsonl(c.Eval));
            var options = c.ToOptions();
            var totalEpochs = options.Stages.Sum(s => s.Epochs);
            var log = parse.InvocationConfiguration.Error;
            var (classifier, report) = await Progress.RunAsync($"training on {train.Count} texts", json, log, progress => Task.Run(() =>
            {
                var done = 0;
                return ClassifierTraining.Train(train, eval, options, new SyncProgress<EpochReport>(e =>
                {
                    progress.Report((double)++done / totalEpochs);
                    if (!json && !Progress.Interactive(json, log)) // an epoch's metrics go with the progress lines, not between the bars
                        log.WriteLine($"{e.Stage} epoch {e.Epoch}: loss {e.TrainLoss:0.0000}  F1 {e.Eval.F1Macro:0.0000}  R@1 {e.Eval.RecallAt1:0.0000}  R@3 {e.Eval.RecallAt3:0.0000}");
                }));
            }, cancel));
            using var _ = classifier;
            classifier.Save(c.Output);
            if (json) Cli.WriteJson(output, new { output = c.Output, f1_macro = report.Final.F1Macro, recall_at_1 = report.Final.RecallAt1, recall_at_3 = report.Final.RecallAt3, epochs = report.Epochs.Count, resumed = report.Resumed, seconds = report.Seconds });
            else output.WriteLine($"saved {c.Output}: held-out F1 {report.Final.F1Macro:0.0000}, Recall@1 {report.Final.RecallAt1:0.0000}, Recall@3 {report.Final.RecallAt3:0.0000} ({report.Seconds:0.0} s{(report.Resumed ? ", resumed" : "")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Metrics()
    {
        var confusion = new Option<string>("--confusion") { Description = "JSON 6×6 matrix (rows = true score 0..5, columns = predicted)", Required = true };
        var command = new Command("metrics", "Macro F1, Recall@1 and Recall@3 of a confusion matrix") { confusion, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var path = parse.GetValue(confusion)!;
            if (!File.Exists(path)) throw new BadInputException("file not found", path);
            long[][] rows;
            try { rows = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(path)) ?? throw new BadInputException("empty", path); }
            catch (JsonException e) { throw new BadInputException($"expected a JSON list of 6 lists of 6 counts ({e.Message})", path); }
            var m = SafetyMetrics.Of(ConfusionMatrix.FromRows(rows, path));
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { f1_macro = m.F1Macro, recall_at_1 = m.RecallAt1, recall_at_3 = m.RecallAt3 });
            else output.WriteLine($"F1 (macro) {m.F1Macro:0.0000}  Recall@1 {m.RecallAt1:0.0000}  Recall@3 {m.RecallAt3:0.0000}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb experiment data-report-card</c> (notebook 01).</summary>
    public static Command DataReportCardExperiment()
    {
        var documents = new Option<int>("--documents") { Description = "Toy documents", DefaultValueFactory = _ => 2000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the toy corpus and of training", DefaultValueFactory = _ => 0 };
        var command = new Command("data-report-card", "Score histogram and harmful-query frequencies of a toy corpus (notebook 01)") { documents, seed, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var r = Experiments.DataReportCard(new Experiments.DataReportCardOptions(parse.GetValue(documents), parse.GetValue(seed)));
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { r.Documents, score_histogram = r.ScoreHistogram, frequencies = r.Frequencies.Select(f => new { f.Category, f.Slice, f.Hits, f.Tokens, per_million_tokens = f.PerMillionTokens }) });
            else
            {
                output.WriteLine($"{r.Documents} toy documents; scores 0..5: {string.Join(" / ", r.ScoreHistogram)}");
                foreach (var g in r.Frequencies.GroupBy(f => f.Category))
                    output.WriteLine($"{g.Key,-24} " + string.Join("  ", g.Select(f => $"{f.Slice}: {f.PerMillionTokens:0}")));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb experiment safety-classifier</c> (notebook 02).</summary>
    public static Command SafetyClassifierExperiment()
    {
        var defaults = new Experiments.SafetyClassifierOptions();
        var train = new Option<int>("--train-documents") { Description = "Toy documents to train on", DefaultValueFactory = _ => defaults.TrainDocuments };
        var heldOut = new Option<int>("--held-out-documents") { Description = "Toy documents held out for the metrics", DefaultValueFactory = _ => defaults.HeldOutDocuments };
        var epochs = new Option<int>("--epochs") { Description = "Full fine-tuning epochs", DefaultValueFactory = _ => defaults.Epochs };
        var lambda = new Option<double>("--lambda") { Description = "Loss weight of score > 0 examples", DefaultValueFactory = _ => defaults.Lambda };
        var seed = new Option<long>("--seed") { Description = "Seed of the toy corpus and of training", DefaultValueFactory = _ => 0 };
        var save = new Option<string?>("--save") { Description = "Folder to save the trained classifier to" };
        var command = new Command("safety-classifier", "Train and evaluate the toy safety classifier (notebook 02)") { train, heldOut, epochs, lambda, seed, save, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            if (parse.GetValue(train) < 2 || parse.GetValue(heldOut) < 1 || parse.GetValue(epochs) < 0)
                throw new BadInputException("need at least 2 training documents, 1 held-out document and 0 or more epochs", "safety-classifier");
            var r = Experiments.SafetyClassifier(new Experiments.SafetyClassifierOptions(parse.GetValue(train), parse.GetValue(heldOut), parse.GetValue(epochs),
                Lambda: parse.GetValue(lambda), Seed: parse.GetValue(seed), Device: parse.GetValue(InfoCommands.DeviceOption)));
            using var _ = r.Classifier;
            if (parse.GetValue(save) is { } dir) r.Classifier.Save(dir);
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { f1_macro = r.Metrics.F1Macro, recall_at_1 = r.Metrics.RecallAt1, recall_at_3 = r.Metrics.RecallAt3, confusion = r.Report.Confusion.ToRows(), documents_per_second = r.DocumentsPerSecond, train_seconds = r.Report.Seconds });
            else
                output.WriteLine($"toy classifier: held-out F1 {r.Metrics.F1Macro:0.0000}, Recall@1 {r.Metrics.RecallAt1:0.0000}, Recall@3 {r.Metrics.RecallAt3:0.0000}; trained in {r.Report.Seconds:0.0} s; scores {r.DocumentsPerSecond:0} documents/s on {r.Classifier.Device}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
