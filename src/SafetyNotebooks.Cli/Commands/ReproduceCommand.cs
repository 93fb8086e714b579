using SafetyNotebooks.Scoring;
using Microsoft.Extensions.AI;
using System.CommandLine;
using System.Diagnostics;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Notebooks;
using Spectre.Console;

namespace SafetyNotebooks.Cli.Commands;

/// <summary>
/// <c>safetynb reproduce</c>: the paper in miniature on the embedded toy world (demo) or what the released artifacts in
/// the Hugging Face cache allow (paper), then every notebook executed into the output folder, and a table of what ran.
/// </summary>
public static class ReproduceCommand
{
    public static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of every random choice [default: 0]" };
    public static readonly Option<bool> QuickOption = new("--quick") { Description = "A seconds-long smoke version of the miniature (too small to show the effects)" };
    public static readonly Option<string?> RubricEndpointOption = new("--llm-endpoint") { Description = $"OpenAI-compatible endpoint of an LLM rubric judge; its scores join the classifier's in the paper's max-ensemble [default: {LlmEndpoint.EndpointVariable}, unset = classifier only]" };
    public static readonly Option<string?> RubricModelOption = new("--llm-model") { Description = $"Model name of the rubric judge [default: {LlmEndpoint.ModelVariable}]; the key comes from {LlmEndpoint.KeyVariable} or OPENAI_API_KEY" };
    public static readonly Option<string[]> SetOption = new("--set") { Description = "Override a size, repeatable: the miniature's (--set train_steps=200 --set prompts=96; names of MiniatureOptions in snake_case) or, with --profile paper, attack_prompts, max_new_tokens, beams, candidates, judge_threshold, scored_documents, run=false" };

    public static Command Build()
    {
        var profile = new Option<string>("--profile") { Description = "demo (the embedded toy world, CPU) or paper (released artifacts from the Hugging Face cache)", DefaultValueFactory = _ => "demo" };
        profile.AcceptOnlyFromAmong("demo", "paper");
        var outputDir = new Option<string>("--output") { Description = "Output folder", DefaultValueFactory = _ => "artifacts" };
        var skipNotebooks = new Option<bool>("--skip-notebooks") { Description = "Do not execute the notebooks" };
        var command = new Command("reproduce", "Run the paper's pipeline in miniature and execute every notebook into the output folder")
            { profile, outputDir, skipNotebooks, SeedOption, QuickOption, SetOption, RubricEndpointOption, RubricModelOption, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var outDir = parse.GetValue(outputDir)!;
            var json = parse.GetValue(Cli.JsonOption);
            var stages = new List<(string Stage, double Seconds, string Outputs, bool Ok)>();
            var sw = Stopwatch.StartNew();
            var ok = true;
            object? miniature = null, paper = null;
            string? miniatureDir = null;

            if (parse.GetValue(profile) == "paper")
            {
                var paperOptions = PaperProfile.Options(parse.GetValue(SeedOption), parse.GetValue(InfoCommands.DeviceOption), parse.GetValue(SetOption) ?? []);
                var (paperStages, paperJson) = await PaperProfile.RunAsync(outDir, paperOptions, output, parse.InvocationConfiguration.Error, json, cancel);
                stages.AddRange(paperStages);
                paper = paperJson;
            }
            else
            {
                var baseOptions = parse.GetValue(QuickOption) ? MiniatureOptions.Quick : MiniatureOptions.Demo;
                var options = (baseOptions with { Output = outDir, Seed = parse.GetValue(SeedOption) ?? baseOptions.Seed, Device = parse.GetValue(InfoCommands.DeviceOption) })
                    .With(parse.GetValue(SetOption) ?? []);
                var result = await RunMiniatureAsync(options, json, parse.InvocationConfiguration.Error, cancel, RubricJudge(parse, output, json));
                foreach (var (stage, seconds) in result.Timings) stages.Add((stage, seconds, options.WorkDir, true));
                stages.Add(("report.html", 0, options.ReportPath, true));
                miniature = Experiments.Summary(result);
                miniatureDir = Path.GetFullPath(options.WorkDir);
                if (!json)
                {
                    WriteAsr(result, output);
                }
            }

            if (!parse.GetValue(skipNotebooks))
            {
                sw.Restart();
                var nbDir = Path.Combine(outDir, "notebooks");
                // notebook 08 shows this run's headline instead of training the models again
                var previous = Environment.GetEnvironmentVariable(MiniatureHeadline.DirectoryVariable);
                if (miniatureDir is not null) Environment.SetEnvironmentVariable(MiniatureHeadline.DirectoryVariable, miniatureDir);
                IReadOnlyList<NotebookRunResult> results;
                try { results = await NotebookCommands.RunAllAsync([], new NotebookRunOptions(nbDir), json, output, parse.InvocationConfiguration.Error, cancel); }
                finally { Environment.SetEnvironmentVariable(MiniatureHeadline.DirectoryVariable, previous); }
                ok = results.All(r => r.Succeeded);
                stages.Add(($"notebooks ({results.Count(r => r.Succeeded)}/{results.Count} ok)", sw.Elapsed.TotalSeconds, nbDir, ok));
            }

            // --json: one object; the miniature's summary holds the ASR table (pooled and by source, 95% CIs)
            if (json) Cli.WriteJson(output, new { ok, stages = stages.Select(s => new { stage = s.Stage, seconds = Math.Round(s.Seconds, 2), outputs = s.Outputs, ok = s.Ok }), miniature, paper });
            else
            {
                WriteStageTable(stages, output);
            }
            return ok ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>The final table of what ran; coloured only on a terminal (never in a file or pipe, nor under NO_COLOR).</summary>
    public static void WriteStageTable(IEnumerable<(string Stage, double Seconds, string Outputs, bool Ok)> stages, TextWriter output)
    {
        var table = new Table().AddColumns("stage", "time", "outputs", "status");
        foreach (var s in stages) table.AddRow(Markup.Escape(s.Stage), $"{s.Seconds:0.0} s", Markup.Escape(s.Outputs), s.Ok ? "[green]ok[/]" : "[red]failed[/]");
        TerminalColour.ConsoleFor(output).Write(table);
    }

    /// <summary>One line per attacked system and judge (ASR, 95% CI, n), quality per system, and whether the paper's direction holds under every judge.</summary>
    public static void WriteAsr(MiniatureResult result, TextWriter output)
    {
        if (result.Options with { Seed = 0, Output = "", Device = null } == MiniatureOptions.Quick with { Output = "", Device = null })
            output.WriteLine("quick profile: a smoke test of the code path; its models are too small to learn the toy world, so these numbers say nothing about the paper (the headline is the default profile)");
        foreach (var a in result.Attacks)
            foreach (var j in a.Judged)
                output.WriteLine($"ASR {a.System,-32} {j.Judge + " judge",-17} {100 * j.Asr.Pooled.Asr.Value,5:0.0}%  95% CI [{100 * j.Asr.Pooled.Asr.Lower:0.0}, {100 * j.Asr.Pooled.Asr.Upper:0.0}]  n={j.Asr.Pooled.N}");
        for (var i = 0; i < result.Attacks.Count; i++)
        {
            var q = result.Quality[i];
            output.WriteLine($"quality {result.Attacks[i].System,-32} degenerate {q.Degenerate}  perplexity (standard model) {q.Perplexity}  benign refusal {q.BenignRefusal}");
        }
        foreach (var k in result.Agreement)
            output.WriteLine($"judge agreement {k.First} vs {k.Second}: Cohen's kappa {k.Kappa:0.000} ({k.Disagreements} of {k.N} disagree)");
        output.WriteLine(result.DirectionHolds
            ? "The paper's direction of effects holds under every judge: standard > safety > safety + Safe Beam."
            : "The paper's direction of effects (standard > safety > safety + Safe Beam) does NOT hold under every judge in this run: "
              + string.Join(", ", result.JudgeNames.Select(j => $"{j} judge {(MiniatureJudging.DirectionHolds(result.Attacks, j) ? "holds" : "does not hold")}")) + "; see the report.");
    }

    /// <summary>
    /// The LLM rubric judge of the scoring stage, when an endpoint is given (option or environment); null = classifier
    /// only. The endpoint is printed without its key.
    /// </summary>
    public static IChatClient? RubricJudge(ParseResult parse, TextWriter output, bool json)
    {
        var url = parse.GetValue(RubricEndpointOption) ?? Environment.GetEnvironmentVariable(LlmEndpoint.EndpointVariable);
        if (string.IsNullOrWhiteSpace(url)) return null;
        var endpoint = LlmEndpoint.Resolve(url, parse.GetValue(RubricModelOption));
        if (!json) output.WriteLine($"rubric judge: {endpoint} (max-ensemble with the toy classifier)");
        return endpoint.CreateClient();
    }

    /// <summary>
    /// Runs the miniature with its progress on <paramref name="log"/> (the command's error writer): one bar per stage on
    /// a terminal, else a series of lines per stage with the stage's rate (documents, steps, prompts per second) and ETA.
    /// </summary>
    public static async Task<MiniatureResult> RunMiniatureAsync(MiniatureOptions options, bool json, TextWriter log, CancellationToken cancel, IChatClient? rubricJudge = null)
    {
        var names = Experiments.MiniatureStageNames;
        var work = Experiments.MiniatureStageWork(options, rubricJudge is not null);
        if (!Progress.Interactive(json, log))
        {
            // one line series per stage: "[5/10] pretrain standard: 40% (160/400 steps), 1.2 steps/s, elapsed 2m11s, ETA 3m16s"
            ProgressLines? current = null;
            var last = -1;
            StartStage(0);
            void StartStage(int stage)
            {
                current?.Finish();
                last = stage;
                current = ProgressLines.Start($"[{stage + 1}/{names.Count}] {names[stage]}", work[stage].Total, work[stage].Unit, log, json);
            }
            var reporter = new SyncProgress<(int Stage, double Fraction)>(p =>
            {
                if (p.Stage < last) return; // a late report of a stage already announced as done
                if (p.Stage != last) StartStage(p.Stage);
                current!.Report(p.Fraction);
                // a finished stage announces the next at once: a log shows which stage is running even if it reports nothing
                if (p.Fraction >= 1 && p.Stage + 1 < names.Count) StartStage(p.Stage + 1);
            });
            var done = await Experiments.PaperInMiniature(options, reporter, cancel, rubricJudge);
            current?.Finish();
            return done;
        }
        MiniatureResult result = null!;
        await Progress.Bars(log).StartAsync(async ctx =>
        {
            var tasks = names.Select(n => ctx.AddTask(Markup.Escape(n), autoStart: false, maxValue: 1.0)).ToList();
            var clocks = names.Select(_ => new Stopwatch()).ToList();
            var reporter = new SyncProgress<(int Stage, double Fraction)>(p =>
            {
                for (var i = 0; i < p.Stage; i++) tasks[i].Value = 1.0;
                if (!tasks[p.Stage].IsStarted) { tasks[p.Stage].StartTask(); clocks[p.Stage].Start(); }
                tasks[p.Stage].Value = Math.Clamp(p.Fraction, 0, 1);
                if (ProgressText.Rate(p.Fraction, clocks[p.Stage].Elapsed, work[p.Stage].Total, work[p.Stage].Unit) is { } rate)
                    tasks[p.Stage].Description = Markup.Escape($"{names[p.Stage]} ({rate})");
            });
            result = await Task.Run(() => Experiments.PaperInMiniature(options, reporter, cancel, rubricJudge), cancel);
            foreach (var t in tasks) t.Value = 1.0;
        });
        return result;
    }
}
