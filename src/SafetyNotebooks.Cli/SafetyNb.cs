using System.CommandLine;
using SafetyNotebooks.Cli.Commands;

namespace SafetyNotebooks.Cli;

/// <summary>The <c>safetynb</c> command tree. Each paper stage contributes its commands from its own file under Commands/.</summary>
public static class SafetyNb
{
    public static RootCommand Build()
    {
        var root = new RootCommand("safetynb — Safety Pretraining (Maini, Goyal, Sam et al.) in .NET: every stage of the paper, on the CPU toy world or on released data and models.");
        foreach (var command in new[]
                 {
                     InfoCommands.Device(),
                     NotebookCommands.Build(),
                     ExperimentCommands.Build(),
                     ReproduceCommand.Build(),
                     DataCommands.Build(),
                     ScoringCommands.Classify(),
                     ScoringCommands.Score(),
                     ScoringCommands.Scoring(),
                     SynthCommands.Build(),
                     TagCommands.Build(),
                     MixCommands.Build(),
                     TokenizerCommands.Build(),
                     PipelineCommands.Build(),
                     ExportCommands.Build(),
                     ModelCommands.Build(),
                     TrainCommands.Build(),
                     LaunchCommands.Build(),
                     SlurmCommands.Build(),
                     GenerateCommands.Build(),
                     ServeCommands.Build(),
                     EvalCommands.Build(),
                     KernelCommands.Build(),
                 })
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>
    /// Parses and runs; bad usage is exit code 2 (System.CommandLine's default would be 1). Everything the command
    /// prints passes the invocation's <see cref="Redactor"/>: the keys it may use never reach the terminal.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var redactor = Redactor.FromEnvironment(KeyVariablesNamedIn(args));
        // only here does the CLI touch the process's console: commands write to these two writers, and ask them whether they are a terminal
        await using var output = new RedactingTextWriter(stdout ?? Console.Out, redactor) { IsTerminal = stdout is null && !Console.IsOutputRedirected };
        await using var error = new RedactingTextWriter(stderr ?? Console.Error, redactor) { IsTerminal = stderr is null && !Console.IsErrorRedirected };
        try { return await RunAsync(args, output, error); }
        finally { output.Flush(); error.Flush(); }
    }

    static async Task<int> RunAsync(string[] args, RedactingTextWriter stdout, RedactingTextWriter stderr)
    {
        var root = Build();
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
        };
        // "safetynb mix --help": the help option would print the root's help and exit 0; an unknown command is an error
        if (parse.Errors.Count == 0 && parse.UnmatchedTokens.Count > 0)
        {
            config.Error.WriteLine($"error: unknown command or argument '{parse.UnmatchedTokens[0]}' for '{parse.CommandResult.Command.Name}'");
            config.Error.WriteLine("Run 'safetynb --help' (or the command with --help) for usage.");
            return ExitCodes.BadInput;
        }
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) config.Error.WriteLine($"error: {e.Message}");
            config.Error.WriteLine("Run 'safetynb --help' (or the command with --help) for usage.");
            return ExitCodes.BadInput;
        }
        return await parse.InvokeAsync(config);
    }

    /// <summary>The variables named by <c>--api-key-env NAME</c> (or <c>--api-key-env=NAME</c>) anywhere on the command line.</summary>
    public static IEnumerable<string> KeyVariablesNamedIn(IReadOnlyList<string> args)
    {
        const string option = "--api-key-env";
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == option && i + 1 < args.Count) yield return args[i + 1];
            else if (args[i].StartsWith(option + "=", StringComparison.Ordinal)) yield return args[i][(option.Length + 1)..];
        }
    }
}
