using Spectre.Console;

namespace SafetyNotebooks.Cli;

/// <summary>Progress display for long steps: Spectre.Console bars on an interactive terminal, plain lines otherwise (CI, pipes, --json).</summary>
public static class Progress
{
    public static bool Interactive(bool json) =>
        !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with a progress bar named <paramref name="title"/>; the work reports fractions in [0, 1].</summary>
    public static async Task<T> RunAsync<T>(string title, bool json, TextWriter log, Func<IProgress<double>, Task<T>> work)
    {
        if (!Interactive(json))
        {
            if (!json) log.WriteLine($"{title}…");
            return await work(new Progress<double>(_ => { }));
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                var reporter = new SyncProgress<double>(v => task.Value = Math.Clamp(v, 0, 1));
                result = await work(reporter);
                task.Value = 1.0;
            });
        return result;
    }
}

/// <summary>Finds the repository's folders (notebooks/, data-manifests/) from the current directory or the tool's own location.</summary>
public static class RepoLayout
{
    public static string? FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SafetyNotebooks.sln"))) return dir.FullName;
        }
        return null;
    }

    public static string NotebooksDir() =>
        FindRoot() is { } root ? Path.Combine(root, "notebooks")
        : throw new BadInputException("cannot find the notebooks/ folder: run inside the SafetyNotebooks repository or pass notebook paths", "notebooks");
}
