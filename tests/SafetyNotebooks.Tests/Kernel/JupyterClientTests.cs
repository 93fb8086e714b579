using System.Diagnostics;

namespace SafetyNotebooks.Tests.Kernel;

/// <summary>
/// The kernel driven by the real jupyter_client (Debian's python3-jupyter-client) through a kernel spec installed by
/// <c>safetynb kernel install</c>: execute with output, an error, a forged signature, interrupt of a long cell, shutdown.
/// </summary>
public class JupyterClientTests
{
    const string Python = "/usr/bin/python3"; // Debian's: a pyenv python3 first on PATH may lack jupyter_client

    static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 150)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); return (-1, $"timed out after {timeoutSeconds} s\n{await stdout}{await stderr}"); }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Jupyter_client_executes_fails_refuses_forgeries_interrupts_and_shuts_down()
    {
        var probe = File.Exists(Python) ? await RunAsync(Python, ["-c", "import jupyter_client"], timeoutSeconds: 30) : (Code: -1, Output: $"{Python} not found");
        Assert.True(probe.Code == 0,
            $"jupyter_client is missing ({probe.Output.Trim()}): run `bash .ci/setup-machine.sh` (dotnet test runs it first unless SAFETYNB_SKIP_MACHINE_SETUP=1) to install .ci/apt-packages");

        var dir = Foundation.TestDirs.Fresh();
        var install = await Foundation.CliRunner.RunAsync("kernel", "install", "--prefix", dir, "--name", "safetynb-test");
        Assert.True(install.Code == 0, install.Err);

        var script = Path.Combine(Foundation.TestDirs.RepoRoot(), "tests", "SafetyNotebooks.Tests", "Kernel", "jupyter_client_check.py");
        var env = new Dictionary<string, string>
        {
            ["JUPYTER_PATH"] = Path.Combine(dir, "share", "jupyter"),
            ["JUPYTER_RUNTIME_DIR"] = Path.Combine(dir, "runtime"),
            ["JUPYTER_DATA_DIR"] = Path.Combine(dir, "data"),
            ["PYTHONUNBUFFERED"] = "1",
        };
        var (code, output) = await RunAsync(Python, [script, "safetynb-test", dir], env);
        Assert.True(code == 0, output);
        Assert.Contains("ok     shutdown: process exited", output);
    }
}
