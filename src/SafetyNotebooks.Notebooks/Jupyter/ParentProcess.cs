using System.Diagnostics;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>
/// Jupyter clients put their process id in JPY_PARENT_PID. A kernel whose client died (killed editor, crashed
/// nbconvert) would otherwise run forever holding its ports, so it shuts down when that process is gone.
/// </summary>
public static class ParentProcess
{
    public static int? FromEnvironment(Func<string, string?> env) =>
        int.TryParse(env("JPY_PARENT_PID"), out var pid) && pid > 1 ? pid : null;

    public static async Task WatchAsync(int pid, CancellationTokenSource whenGone, TextWriter log)
    {
        while (!whenGone.IsCancellationRequested)
        {
            if (!IsAlive(pid))
            {
                log.WriteLine($"[safetynb kernel] the client process {pid} is gone: shutting down");
                await whenGone.CancelAsync();
                return;
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), whenGone.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
