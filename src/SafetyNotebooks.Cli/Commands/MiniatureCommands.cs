using System.CommandLine;
using SafetyNotebooks.Miniature;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb experiment paper-in-miniature</c>: notebook 08 without a notebook host.</summary>
public static class MiniatureCommands
{
    /// <summary>The miniature's own --set: reproduce's also names the paper profile's sizes, which this command has not.</summary>
    static readonly Option<string[]> SetOption = new("--set") { Description = "Override a size of the miniature, repeatable: --set train_steps=200 --set prompts=96 (names of MiniatureOptions in snake_case)" };

    public static Command Experiment()
    {
        var output = new Option<string>("--output") { Description = "Output folder (report.html and miniature/)", DefaultValueFactory = _ => "artifacts" };
        var command = new Command("paper-in-miniature", "The whole paper on the toy world: scores, synthetic data, tags, two pretraining runs, attacks, ASR (notebook 08)")
            { output, SetOption, ReproduceCommand.RubricEndpointOption, ReproduceCommand.RubricModelOption, ReproduceCommand.SeedOption, ReproduceCommand.QuickOption, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler(async (parse, stdout, cancel) =>
        {
            var baseOptions = parse.GetValue(ReproduceCommand.QuickOption) ? MiniatureOptions.Quick : MiniatureOptions.Demo;
            var options = (baseOptions with { Output = parse.GetValue(output)!, Seed = parse.GetValue(ReproduceCommand.SeedOption) ?? baseOptions.Seed, Device = parse.GetValue(InfoCommands.DeviceOption) })
                .With(parse.GetValue(SetOption) ?? []);
            var json = parse.GetValue(Cli.JsonOption);
            var result = await ReproduceCommand.RunMiniatureAsync(options, json, parse.InvocationConfiguration.Error, cancel, ReproduceCommand.RubricJudge(parse, stdout, json));
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
