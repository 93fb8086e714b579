using System.CommandLine;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb scoring toy-classifier</c>: the miniature's safety classifier, saved as a folder <c>score --classifier</c> loads.</summary>
public static class ToyClassifierCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--output") { Description = "Classifier folder to write (config.json, model.safetensors, tokenizer.json)", Required = true };
        var documents = new Option<int>("--documents") { Description = "Annotated toy documents to train on", DefaultValueFactory = _ => 800 };
        var epochs = new Option<int>("--epochs") { Description = "Fine-tuning epochs", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "Seed of the annotated sample and of training", DefaultValueFactory = _ => 1 };
        var command = new Command("toy-classifier", "Train the toy-world safety classifier on an annotated sample and save it") { output, documents, epochs, seed, InfoCommands.DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, stdout) =>
        {
            var (classifier, report) = ToyClassifier.Train(new ToyClassifier.Options(TrainDocuments: parse.GetValue(documents), Epochs: parse.GetValue(epochs),
                Seed: parse.GetValue(seed), Device: parse.GetValue(InfoCommands.DeviceOption)));
            using (classifier) classifier.Save(parse.GetValue(output)!);
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(stdout, new { output = Path.GetFullPath(parse.GetValue(output)!), f1_macro = report.Final.F1Macro, recall_at_1 = report.Final.RecallAt1 });
            else stdout.WriteLine($"saved {parse.GetValue(output)}: held-out F1 {report.Final.F1Macro:0.0000}, Recall@1 {report.Final.RecallAt1:0.0000}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
