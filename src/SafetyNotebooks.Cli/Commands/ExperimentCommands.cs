using System.CommandLine;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb experiment NAME</c>: every notebook's experiment, without a notebook host.</summary>
public static class ExperimentCommands
{
    public static Command Build()
    {
        var command = new Command("experiment", "Run one of the notebooks' experiments from the command line");
        command.Subcommands.Add(Quickstart());
        command.Subcommands.Add(SafeBeamSearch());
        command.Subcommands.Add(ToyPretraining());
        command.Subcommands.Add(MiniatureCommands.Experiment());
        command.Subcommands.Add(ScoringCommands.DataReportCardExperiment());
        command.Subcommands.Add(ScoringCommands.SafetyClassifierExperiment());
        command.Subcommands.Add(TagCommands.Experiment());
        command.Subcommands.Add(SynthCommands.Experiment());
        command.Subcommands.Add(LaunchCommands.Experiment());
        command.Subcommands.Add(EvalCommands.EvaluationExperiment());
        return command;
    }

    static Command Quickstart()
    {
        var steps = new Option<int>("--steps") { Description = "AdamW steps of the line fit", DefaultValueFactory = _ => 30 };
        var seed = new Option<long>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 0 };
        var command = new Command("quickstart", "Check the stack: version, device, a tensor op, an AdamW fit (notebook 00)") { steps, seed, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var n = parse.GetValue(steps);
            if (n < 1) throw new BadInputException("must be at least 1", "--steps", value: n.ToString());
            var r = Experiments.Quickstart(new Experiments.QuickstartOptions(n, parse.GetValue(seed), parse.GetValue(InfoCommands.DeviceOption)));
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { r.Version, device = r.Device.Device, product = new[] { new[] { r.Product[0, 0], r.Product[0, 1] }, new[] { r.Product[1, 0], r.Product[1, 1] } }, first_loss = r.Losses[0], last_loss = r.Losses[^1] });
            else
                output.WriteLine($"SafetyNotebooks {r.Version} on {r.Device.Device}: [[1,2],[3,4]]·[[0,1],[1,0]] = [[{r.Product[0, 0]},{r.Product[0, 1]}],[{r.Product[1, 0]},{r.Product[1, 1]}]]; AdamW loss {r.Losses[0]:0.####} -> {r.Losses[^1]:0.####} in {r.Losses.Count} steps");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command ToyPretraining()
    {
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of each run", DefaultValueFactory = _ => new Experiments.ToyPretrainingOptions().Steps };
        var documents = new Option<int>("--documents") { Description = "Toy documents in each run's corpus", DefaultValueFactory = _ => new Experiments.ToyPretrainingOptions().Documents };
        var seed = new Option<long>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 0 };
        var chart = new Option<string?>("--chart") { Description = "Write the loss curves as a self-contained HTML file" };
        var command = new Command("toy-pretraining", "Pretrain a tiny Llama on raw vs tag-annotated toy text and compare the losses (notebook 05)")
            { steps, documents, seed, chart, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            if (parse.GetValue(steps) < 1) throw new BadInputException("must be at least 1", "--steps", value: parse.GetValue(steps).ToString());
            var r = Experiments.ToyPretraining(new Experiments.ToyPretrainingOptions(parse.GetValue(documents), parse.GetValue(steps),
                Seed: parse.GetValue(seed), Device: parse.GetValue(InfoCommands.DeviceOption)));
            if (parse.GetValue(chart) is { } path) Reporting.Charts.SaveHtml(r.LossChart, path);
            var runs = new[] { r.Standard, r.Tagged }.Select(x => new { x.Name, x.Tokens, x.TagsInserted, x.TaggedDocuments, Losses = x.Log.Select(e => e.Loss).ToArray() }).ToArray();
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { Parameters = r.Model.ParameterCount, Runs = runs });
            else
                foreach (var x in runs)
                    output.WriteLine($"{x.Name}: {x.Tokens:N0} tokens, {x.TagsInserted} tags; loss {x.Losses[0]:0.###} -> {x.Losses[^1]:0.###} in {x.Losses.Length} steps");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command SafeBeamSearch()
    {
        var model = new Option<string?>("--model") { Description = "Model folder [default: a random toy Llama (Experiments.ToyLlama) made in a temporary folder]" };
        var ids = new Option<string[]>("--ids") { Description = "A prompt as comma-separated token ids (repeatable)", DefaultValueFactory = _ => ["1,17,42,99,5", "3,250,7,7,7,40,12,81"] };
        var tagId = new Option<int?>("--tag-id") { Description = "Harmfulness tag id [default: the last id of the vocabulary]" };
        var beams = new Option<int>("--beams") { Description = "Beams k of both decoders", DefaultValueFactory = _ => 4 };
        var candidates = new Option<int>("--candidates") { Description = "Safe Beam candidates per beam n", DefaultValueFactory = _ => 8 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "New tokens per prompt", DefaultValueFactory = _ => 12 };
        var command = new Command("safe-beam-search", "Plain beam search vs Safe Beam Search: continuations, tag probabilities, cost (notebook 06)")
        {
            model, ids, tagId, beams, candidates, maxNew, InfoCommands.DeviceOption, Cli.JsonOption,
        };
        command.SetHandler((parse, output) =>
        {
            var prompts = parse.GetValue(ids)!.Select(t => (IReadOnlyList<int>)Cli.ParseIds(t, "--ids").Select(i => (int)i).ToArray()).ToArray();
            var modelDir = parse.GetValue(model) ?? Experiments.ToyLlama(Path.Combine(Path.GetTempPath(), $"safetynb-toy-llama-{Environment.ProcessId}"));
            var r = Experiments.SafeBeamSearch(new Experiments.SafeBeamSearchOptions(modelDir, prompts, null, parse.GetValue(tagId),
                parse.GetValue(beams), parse.GetValue(candidates), parse.GetValue(maxNew), Device: parse.GetValue(InfoCommands.DeviceOption)));
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new
                {
                    tag_token_id = r.TagTokenId,
                    prompts = r.Comparisons.Select(c => new
                    {
                        prompt = c.Prompt,
                        beam = new { tokens = c.Plain.Tokens, logprob = c.Plain.LogProb, tag_probability = c.PlainTagProbability },
                        safe_beam = new { tokens = c.Safe.Tokens, logprob = c.Safe.LogProb, tag_probability = c.SafeTagProbability },
                    }),
                    cost = r.Cost,
                });
            else
            {
                foreach (var (c, i) in r.Comparisons.Select((c, i) => (c, i)))
                    output.WriteLine($"prompt {i}: beam [{string.Join(",", c.Plain.Tokens)}] logprob {c.Plain.LogProb:0.###}, mean p(tag) {c.PlainTagProbability.DefaultIfEmpty(0).Average():0.####}; " +
                                     $"Safe Beam [{string.Join(",", c.Safe.Tokens)}] logprob {c.Safe.LogProb:0.###}, mean p(tag) {c.SafeTagProbability.DefaultIfEmpty(0).Average():0.####}");
                foreach (var c in r.Cost)
                    output.WriteLine($"{c.Decoder,-36} {c.MillisecondsPerToken,9:0.00} ms/token {c.RelativeToPlainBeam,7:0.00}x beam  {c.ForwardPasses,5} forwards");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
