using System.CommandLine;
using System.Diagnostics;
using SafetyNotebooks.Notebooks;
using Spectre.Console;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb reproduce</c>: the paper's pipeline in miniature, then every notebook executed into the output folder.</summary>
public static class ReproduceCommand
{
    public static Command Build()
    {
        var profile = new Option<string>("--profile") { Description = "demo (the embedded toy world, CPU) or paper (released artifacts from the Hugging Face cache)", DefaultValueFactory = _ => "demo" };
        profile.AcceptOnlyFromAmong("demo", "paper");
        var outputDir = new Option<string>("--output") { Description = "Output folder", DefaultValueFactory = _ => "artifacts" };
        var skipNotebooks = new Option<bool>("--skip-notebooks") { Description = "Do not execute the notebooks" };
        var command = new Command("reproduce", "Run the paper's pipeline in miniature and execute every notebook into the output folder") { profile, outputDir, skipNotebooks, Cli.JsonOption };
        command.SetHandler(async (parse, output, cancel) =>
        {
            var outDir = parse.GetValue(outputDir)!;
            var json = parse.GetValue(Cli.JsonOption);
            var stages = new List<(string Stage, TimeSpan Took, string Outputs, bool Ok)>();

            var sw = Stopwatch.StartNew();
            var quick = Experiments.Quickstart();
            stages.Add(("stack check", sw.Elapsed, $"device {quick.Device.Device}", true));

            var ok = true;
            if (!parse.GetValue(skipNotebooks))
            {
                sw.Restart();
                var nbDir = Path.Combine(outDir, "notebooks");
                var results = await NotebookCommands.RunAllAsync([], new NotebookRunOptions(nbDir), json, output, cancel);
                ok = results.All(r => r.Succeeded);
                stages.Add(($"notebooks ({results.Count(r => r.Succeeded)}/{results.Count} ok)", sw.Elapsed, nbDir, ok));
            }

            if (json) Cli.WriteJson(output, stages.Select(s => new { stage = s.Stage, seconds = Math.Round(s.Took.TotalSeconds, 2), outputs = s.Outputs, ok = s.Ok }));
            else
            {
                var table = new Table().AddColumns("stage", "time", "outputs", "status");
                foreach (var s in stages) table.AddRow(Markup.Escape(s.Stage), $"{s.Took.TotalSeconds:0.0} s", Markup.Escape(s.Outputs), s.Ok ? "[green]ok[/]" : "[red]failed[/]");
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
                console.Write(table);
            }
            return ok ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}
