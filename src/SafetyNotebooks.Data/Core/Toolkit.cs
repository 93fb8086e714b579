using System.Reflection;

namespace SafetyNotebooks;

/// <summary>Facts about the toolkit build itself.</summary>
public static class Toolkit
{
    public static string Version { get; } =
        typeof(Toolkit).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Toolkit).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>The folder holding SafetyNotebooks.dll (and, in a runnable build, the native libtorch next to it).</summary>
    public static string AssemblyDirectory { get; } = Path.GetDirectoryName(typeof(Toolkit).Assembly.Location) ?? AppContext.BaseDirectory;
}
