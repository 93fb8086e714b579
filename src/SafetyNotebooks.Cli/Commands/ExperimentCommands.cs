using System.CommandLine;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb experiment NAME</c>: every notebook's experiment, without a notebook host.</summary>
public static class ExperimentCommands
{
    public static Command Build()
    {
        var command = new Command("experiment", "Run one of the notebooks' experiments from the command line");
        command.Subcommands.Add(Quickstart());
        command.Subcommands.Add(MiniatureCommands.Experiment());
        command.Subcommands.Add(ScoringCommands.DataReportCardExperiment());
        command.Subcommands.Add(ScoringCommands.SafetyClassifierExperiment());
        command.Subcommands.Add(TagCommands.Experiment());
        command.Subcommands.Add(SynthCommands.Experiment());
        return command;
    }

    static Command Quickstart()
    {
        var steps = new Option<int>("--steps") { Description = "AdamW steps of the line fit", DefaultValueFactory = _ => 30 };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
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
}
