using System.CommandLine;
using SafetyNotebooks.Miniature;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb experiment paper-in-miniature</c>: notebook 08 without a notebook host.</summary>
public static class MiniatureCommands
{
    public static Command Experiment()
    {
        var output = new Option<string>("--output") { Description = "Output folder (report.html and miniature/)", DefaultValueFactory = _ => "artifacts" };
        var command = new Command("paper-in-miniature", "The whole paper on the toy world: scores, synthetic data, tags, two pretraining runs, attacks, ASR (notebook 08)")
            { output, ReproduceCommand.SetOption, ReproduceCommand.RubricEndpointOption, ReproduceCommand.RubricModelOption, ReproduceCommand.SeedOption, ReproduceCommand.QuickOption, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler(async (parse, stdout, cancel) =>
        {
            var baseOptions = parse.GetValue(ReproduceCommand.QuickOption) ? MiniatureOptions.Quick : MiniatureOptions.Demo;
            var options = (baseOptions with { Output = parse.GetValue(output)!, Seed = parse.GetValue(ReproduceCommand.SeedOption) ?? baseOptions.Seed, Device = parse.GetValue(InfoCommands.DeviceOption) })
                .With(parse.GetValue(ReproduceCommand.SetOption) ?? []);
            var json = parse.GetValue(Cli.JsonOption);
            var result = await ReproduceCommand.RunMiniatureAsync(options, json, stdout, cancel, ReproduceCommand.RubricJudge(parse, stdout, json));
            if (json) Cli.WriteJson(stdout, Experiments.Summary(result));
            else
            {
                ReproduceCommand.WriteAsr(result, stdout);
                stdout.WriteLine($"report: {result.ReportPath}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
