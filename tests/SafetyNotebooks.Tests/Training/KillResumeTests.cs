using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Training;

namespace SafetyNotebooks.Tests.Training;

/// <summary>
/// <c>safetynb train</c> as a separate process, killed with SIGKILL after its first checkpoint and restarted with
/// <c>--resume</c>: the loss curve must be the uninterrupted run's, bit for bit, with nothing temporary left behind.
/// </summary>
public class KillResumeTests
{
    const int Steps = 300;

    static string Yaml(string output, string docs) =>
        TrainCommandTests.Yaml(output, docs, "warmup_steps: 10\nschedule: cosine", Steps, checkpointEvery: 5);

    /// <summary>Starts the CLI of this build (safetynb.dll next to the tests) as a child process.</summary>
    static Process StartCli(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "safetynb.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SAFETYNB_DEVICE"] = "cpu";
        // One intra-op thread: on a busy machine libtorch's spinning worker threads make these tiny steps ~100x slower.
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        return Process.Start(start)!;
    }

    static async Task RunToEnd(params string[] args)
    {
        using var p = StartCli(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, $"safetynb {string.Join(' ', args)} exited {p.ExitCode}: {await stdout}{await stderr}");
    }

    static string Config(string dir, string name, string docs)
    {
        var yaml = Path.Combine(dir, name + ".yaml");
        File.WriteAllText(yaml, Yaml(Path.Combine(dir, name), docs));
        return yaml;
    }

    [Fact]
    public async Task Killed_run_resumes_with_the_same_loss_curve_bit_for_bit()
    {
        var dir = Foundation.TestDirs.Fresh();
        var docs = Path.Combine(dir, "docs.jsonl");
        File.WriteAllLines(docs, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { text = $"a small toy document number {i}, with some words" })));

        var reference = Config(dir, "reference", docs);
        await RunToEnd("train", "--config", reference);

        var killed = Config(dir, "killed", docs);
        var output = Path.Combine(dir, "killed");
        var state = Path.Combine(output, Trainer.CheckpointFolder, "trainer_state.json");
        using (var p = StartCli("train", "--config", killed))
        {
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(state) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(5);
            Assert.False(p.HasExited, "the run finished (or failed) before it could be killed");
            p.Kill();   // SIGKILL: no finally blocks, no flushing
            await p.WaitForExitAsync();
        }
        var killedAt = Trainer.ReadLog(output).Count;
        Assert.InRange(killedAt, 1, Steps - 1);

        await RunToEnd("train", "--config", killed, "--resume");

        var expected = Trainer.ReadLog(Path.Combine(dir, "reference"));
        var actual = Trainer.ReadLog(output);
        Assert.Equal(Steps, expected.Count);
        Assert.Equal(Steps, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(e.Step, a.Step);
            Assert.True(BitConverter.DoubleToInt64Bits(e.Loss) == BitConverter.DoubleToInt64Bits(a.Loss), $"step {e.Step}: loss {e.Loss:R} vs {a.Loss:R} (killed after {killedAt} logged steps)");
            Assert.True(BitConverter.DoubleToInt64Bits(e.GradNorm) == BitConverter.DoubleToInt64Bits(a.GradNorm), $"step {e.Step}: grad norm {e.GradNorm:R} vs {a.GradNorm:R}");
            Assert.Equal(e.Lr, a.Lr);
            Assert.Equal(e.Tokens, a.Tokens);
        }
        // Nothing temporary or half-written survives the resumed run.
        var leftovers = Directory.EnumerateFileSystemEntries(output, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(output, path))
            .Where(path => path.EndsWith(".tmp") || path.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.') || part.EndsWith(".old")))
            .ToList();
        Assert.Empty(leftovers);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "reference", Trainer.CheckpointFolder, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(output, Trainer.CheckpointFolder, "model.safetensors")));
    }
}
