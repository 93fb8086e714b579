using System.CommandLine;
using SafetyNotebooks.Notebooks.Jupyter;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb kernel install|uninstall|run</c>: the toolkit as a Jupyter kernel for VS Code, JupyterLab and nbconvert.</summary>
public static class KernelCommands
{
    public static Command Build()
    {
        var command = new Command("kernel", "The C# (SafetyNotebooks) Jupyter kernel for VS Code, JupyterLab and nbconvert");
        command.Subcommands.Add(Install());
        command.Subcommands.Add(Uninstall());
        command.Subcommands.Add(Run());
        return command;
    }

    static Option<bool> UserOption() => new("--user") { Description = "Install for the current user (JUPYTER_DATA_DIR, else ~/.local/share/jupyter); the default" };
    static Option<string?> PrefixOption() => new("--prefix") { Description = "Install into DIR/share/jupyter/kernels (e.g. a Python environment's prefix)" };
    static Option<string> NameOption() => new("--name") { Description = "Kernel spec name (the notebooks' metadata names 'safetynb')", DefaultValueFactory = _ => KernelSpec.DefaultName };

    static string KernelsDirectory(ParseResult parse, Option<bool> user, Option<string?> prefix)
    {
        var dir = parse.GetValue(prefix);
        if (dir is not null && parse.GetValue(user)) throw new BadInputException("choose one of --user and --prefix", "--prefix", value: dir);
        if (dir is { Length: 0 }) throw new BadInputException("must name a folder", "--prefix", value: dir);
        KernelSpecLocation location = dir is null ? new KernelSpecLocation.User() : new KernelSpecLocation.Prefix(dir);
        return KernelSpec.KernelsDirectory(location, Environment.GetEnvironmentVariable);
    }

    static Command Install()
    {
        var (user, prefix, name) = (UserOption(), PrefixOption(), NameOption());
        var command = new Command("install", "Write the kernel spec (kernel.json) so Jupyter clients can start this kernel") { user, prefix, name, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var kernels = KernelsDirectory(parse, user, prefix);
            var cliDll = typeof(KernelCommands).Assembly.Location;
            var spec = KernelSpec.Create(KernelSpec.DotnetHost(Environment.GetEnvironmentVariable), cliDll);
            var dir = KernelSpec.Install(kernels, parse.GetValue(name)!, spec);
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { name = Path.GetFileName(dir), path = dir, argv = spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()) });
            else output.WriteLine($"Installed kernel spec '{Path.GetFileName(dir)}' ({KernelSpec.DisplayName}) in {dir}");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Uninstall()
    {
        var (user, prefix, name) = (UserOption(), PrefixOption(), NameOption());
        var command = new Command("uninstall", "Remove the kernel spec") { user, prefix, name };
        command.SetHandler((parse, output) =>
        {
            var dir = KernelSpec.Uninstall(KernelsDirectory(parse, user, prefix), parse.GetValue(name)!);
            output.WriteLine($"Removed kernel spec {dir}");
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Run()
    {
        var connectionFile = new Option<string>("--connection-file", "-f") { Description = "The connection file written by the Jupyter client", Required = true };
        var command = new Command("run", "Serve the Jupyter messaging protocol (started by Jupyter clients through the kernel spec)") { connectionFile };
        command.SetHandler(async (parse, _, cancel) =>
        {
            var connection = ConnectionInfo.Load(parse.GetValue(connectionFile)!);
            // The engine captures Console.Out/Error while a cell runs; the kernel's own log goes to the real stderr.
            var log = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var watch = ParentProcess.FromEnvironment(Environment.GetEnvironmentVariable) is { } client
                ? ParentProcess.WatchAsync(client, stop, log) : Task.CompletedTask;
            using var kernel = new JupyterKernel(connection, log);
            await kernel.RunAsync(stop.Token);
            await stop.CancelAsync(); // ends the watch
            await watch;
            return ExitCodes.Ok;
        });
        return command;
    }
}
