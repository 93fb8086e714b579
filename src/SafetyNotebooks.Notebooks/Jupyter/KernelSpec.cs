using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>Where a kernel spec goes: the user's Jupyter data folder, or a prefix's share/jupyter (like pip/conda environments).</summary>
public abstract record KernelSpecLocation
{
    public sealed record User : KernelSpecLocation;
    public sealed record Prefix(string Directory) : KernelSpecLocation;
}

/// <summary>
/// The Jupyter kernel spec (kernels/NAME/kernel.json) that makes VS Code, JupyterLab and nbconvert start
/// <c>safetynb kernel run</c>. The argv names the dotnet host and the CLI's dll by absolute path, so it works from any
/// working directory and without the CLI on PATH.
/// </summary>
public static partial class KernelSpec
{
    public const string DefaultName = "safetynb"; // the kernelspec name recorded in the repository's notebooks
    public const string DisplayName = "C# (SafetyNotebooks)";
    public const string Language = "C#";

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ValidName();

    public static string CheckName(string name) =>
        ValidName().IsMatch(name) ? name.ToLowerInvariant()
        : throw new BadInputException("a kernel name may use only letters, digits, '.', '_' and '-'", "--name", value: name);

    /// <summary>The kernel.json content.</summary>
    public static JsonObject Create(string dotnetHost, string cliDll, string displayName = DisplayName) => new()
    {
        ["argv"] = new JsonArray(dotnetHost, cliDll, "kernel", "run", "--connection-file", "{connection_file}"),
        ["display_name"] = displayName,
        ["language"] = Language,
        ["interrupt_mode"] = "message", // interrupts arrive as interrupt_request on the control channel (no SIGINT on .NET)
        ["metadata"] = new JsonObject { ["debugger"] = false },
    };

    /// <summary>The kernels/ folder for a location, following Jupyter's rules (JUPYTER_DATA_DIR, then the platform's data folder).</summary>
    public static string KernelsDirectory(KernelSpecLocation location, Func<string, string?> env) => location switch
    {
        KernelSpecLocation.Prefix p => Path.Combine(Path.GetFullPath(p.Directory), "share", "jupyter", "kernels"),
        _ => Path.Combine(UserDataDirectory(env), "kernels"),
    };

    static string UserDataDirectory(Func<string, string?> env)
    {
        if (env("JUPYTER_DATA_DIR") is { Length: > 0 } explicitDir) return Path.GetFullPath(explicitDir);
        var home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsMacOS()) return Path.Combine(home, "Library", "Jupyter");
        if (OperatingSystem.IsWindows()) return Path.Combine(env("APPDATA") ?? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter");
        var xdg = env("XDG_DATA_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".local", "share");
        return Path.Combine(xdg, "jupyter");
    }

    /// <summary>The dotnet host that runs the CLI: the current process when it is dotnet, else DOTNET_HOST_PATH, DOTNET_ROOT, PATH.</summary>
    public static string DotnetHost(Func<string, string?> env)
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == exe) return self;
        if (env("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (env("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
        foreach (var dir in (env("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, exe))) return Path.Combine(dir, exe);
        return exe;
    }

    /// <summary>Writes NAME/kernel.json under <paramref name="kernelsDir"/> (replacing an older one) and returns its folder.</summary>
    public static string Install(string kernelsDir, string name, JsonObject spec)
    {
        var dir = SafePath.Combine(kernelsDir, CheckName(name));
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "kernel.json"), spec.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        return dir;
    }

    /// <summary>Removes NAME's kernel spec; a name that is not installed there is <see cref="BadInputException"/>.</summary>
    public static string Uninstall(string kernelsDir, string name)
    {
        var dir = SafePath.Combine(kernelsDir, CheckName(name));
        if (!File.Exists(Path.Combine(dir, "kernel.json")))
            throw new BadInputException($"no kernel spec named '{name}' is installed there", kernelsDir);
        Directory.Delete(dir, recursive: true);
        return dir;
    }
}
