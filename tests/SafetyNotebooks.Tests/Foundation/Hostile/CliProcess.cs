using System.Diagnostics;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>Runs this build's CLI (safetynb.dll next to the tests) as a child process with its own environment.</summary>
public static class CliProcess
{
    public static async Task<CliRunner.Outcome> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "safetynb.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SAFETYNB_DEVICE"] = "cpu";
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (k, v) in env) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException($"safetynb {string.Join(' ', args)} did not finish in 120 s"); }
        return new CliRunner.Outcome(p.ExitCode, await stdout, await stderr);
    }
}
