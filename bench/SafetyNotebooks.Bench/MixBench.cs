using System.Diagnostics;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Mixing;

namespace SafetyNotebooks.Bench;

/// <summary>
/// <c>safetynb mix</c> in bounded memory: a generated corpus of <c>--mb</c> MB of text (written file by file, never
/// held whole) mixed with <c>--memory-mb</c> of sort memory and again with the whole corpus allowed in memory. Prints
/// wall time, the meter's peak of documents held, the spill files, and the process's peak managed heap and working set
/// (live, after a forced collection every 250 ms) sampled during each mix (a fresh process per setting gives the cleanest RSS: run it twice with <c>--only</c>).
/// Usage: <c>mix [--mb 200] [--memory-mb 16] [--only bounded|unbounded]</c>.
/// </summary>
public static class MixBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var mb = double.Parse(Arg("--mb") ?? "200");
        var bound = long.Parse(Arg("--memory-mb") ?? "16");
        var only = Arg("--only");
        var dir = Directory.CreateTempSubdirectory("snb-mixbench-").FullName;
        try
        {
            var (docs, bytes) = WriteCorpus(Path.Combine(dir, "web"), mb);
            Console.WriteLine($"corpus: {docs:N0} documents, {bytes / 1e6:0.0} MB of text in {Directory.GetFiles(Path.Combine(dir, "web")).Length} files; mixture: score 0 ×1, unsafe ×3, one thread");
            var spec = new MixSpec([new MixPhase("mix", 1.0, [new MixSource("score0", [Path.Combine(dir, "web")], Repeat: 1, MaxScore: 0),
                new MixSource("unsafe", [Path.Combine(dir, "web")], Repeat: 3, MinScore: 1)])], Seed: 1).Validate("bench");
            foreach (var (name, limit) in new[] { ("bounded", bound), ("unbounded", 1L << 20) })
            {
                if (only is not null && only != name) continue;
                GC.Collect();
                var (wall, result, heap, rss) = Measure(() => MixJob.RunAsync(spec, Path.Combine(dir, "out-" + name), memory: MixMemory.Megabytes(limit)).GetAwaiter().GetResult());
                var m = result.Memory;
                Console.WriteLine($"{name,-9} --memory-mb {limit,-8} {wall:0.0} s, {result.Manifest.Phases.Sum(p => p.Rows):N0} rows in {result.FilesWritten} files; " +
                                  $"held at most {m.PeakRows:N0} documents ({m.PeakBytes / 1048576.0:0.0} MiB estimated), {m.SpillFiles} spill files; " +
                                  $"peak managed heap {heap / 1048576.0:0} MiB, peak working set {rss / 1048576.0:0} MiB");
            }
            return 0;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // ~1 KB toy documents, 20,000 per file, written one file at a time
    static (long Docs, long Bytes) WriteCorpus(string dir, double mb)
    {
        long docs = 0, bytes = 0;
        for (var file = 0; bytes < mb * 1e6; file++)
        {
            var batch = new List<Document>();
            for (var i = 0; i < 20_000 && bytes < mb * 1e6; i++, docs++)
            {
                var d = ToyWorld.Document(docs, new ToyOptions(1));
                d = d with { Text = d.Text + " " + ToyWorld.Document(docs + 10_000_000, new ToyOptions(1)).Text + " " + ToyWorld.Document(docs + 20_000_000, new ToyOptions(1)).Text };
                batch.Add(d);
                bytes += d.TextBytes;
            }
            Documents.WriteAsync(Path.Combine(dir, $"{file:D5}.parquet"), batch).GetAwaiter().GetResult();
        }
        return (docs, bytes);
    }

    static (double Wall, MixResult Result, long Heap, long Rss) Measure(Func<MixResult> run)
    {
        long heap = 0, rss = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var process = Process.GetCurrentProcess();
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                heap = Math.Max(heap, GC.GetTotalMemory(forceFullCollection: true)); // the live heap, not garbage awaiting a collection
                rss = Math.Max(rss, process.WorkingSet64);
                try { await Task.Delay(250, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var sw = Stopwatch.StartNew();
        var result = run();
        var wall = sw.Elapsed.TotalSeconds;
        stop.Cancel();
        sampler.Wait();
        return (wall, result, heap, rss);
    }
}
