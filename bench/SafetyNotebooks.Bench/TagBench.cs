using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SafetyNotebooks.Tagging;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Harmfulness tagging, text level: the C# tagger on one core versus bench/reference/tag_reference.py on the same
/// documents (p = 0.05, every document tagged). Args: [megabytes=32] [--no-python].
/// </summary>
public static class TagBench
{
    public static int Run(string[] args)
    {
        var megabytes = args.Length > 0 && int.TryParse(args[0], out var m) ? m : 32;
        var docs = SyntheticProse.Documents(megabytes * 1_000_000L, seed: 1);
        var bytes = docs.Sum(d => (long)d.Text.Length);
        var mb = bytes / 1e6;
        Console.WriteLine($"corpus: {docs.Count} documents, {mb:0.0} MB of UTF-8, p = 0.05, one thread");

        var plan = TagPlan.From(new TagOptions());
        var output = new ArrayBufferWriter<byte>(1 << 20);
        long tags = 0;
        void TagAll()
        {
            tags = 0;
            foreach (var d in docs)
            {
                output.ResetWrittenCount();
                tags += HarmfulnessTagger.Tag(d.Text, HarmfulnessTagger.DocumentKey(d.Id), plan, output);
            }
        }
        var wall = Harness.Median(TagAll, runs: 5);
        var cpu = MedianCpu(TagAll, runs: 5);
        if (args.Contains("--no-python"))
        {
            Harness.Row("C# HarmfulnessTagger.Tag, 1 thread (wall)", mb / wall.TotalSeconds, "MB/s");
            Harness.Row("C# HarmfulnessTagger.Tag, 1 thread (CPU time)", mb / cpu.TotalSeconds, "MB/s");
            return 0;
        }
        var python = RunPythonReference(docs, out var pythonTags);
        Harness.Row("python reference, wall", mb / python.Wall, "MB/s");
        Harness.Row("C# HarmfulnessTagger.Tag, 1 thread, wall", mb / wall.TotalSeconds, "MB/s", ratio: python.Wall / wall.TotalSeconds);
        Harness.Row("python reference, CPU time", mb / python.Cpu, "MB/s");
        Harness.Row("C# HarmfulnessTagger.Tag, 1 thread, CPU time", mb / cpu.TotalSeconds, "MB/s", ratio: python.Cpu / cpu.TotalSeconds);
        Console.WriteLine($"tags inserted: C# {tags}, python {pythonTags}{(tags == pythonTags ? " (equal)" : " (DIFFERENT)")}");
        return tags == pythonTags ? 0 : 1;
    }

    /// <summary>Median process CPU time of single-threaded runs: steadier than wall time on a shared machine.</summary>
    internal static TimeSpan MedianCpu(Action action, int runs)
    {
        action();
        var process = Process.GetCurrentProcess();
        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            action();
            process.Refresh();
            times.Add(process.TotalProcessorTime - before);
        }
        times.Sort();
        return times[runs / 2];
    }

    static (double Wall, double Cpu) RunPythonReference(IReadOnlyList<(byte[] Id, byte[] Text)> docs, out long tags)
    {
        var dir = Directory.CreateTempSubdirectory("snb-tagbench-").FullName;
        try
        {
            var input = Path.Combine(dir, "in.jsonl");
            var output = Path.Combine(dir, "out.jsonl");
            using (var w = new StreamWriter(input, false, new UTF8Encoding(false)))
                foreach (var d in docs)
                    w.WriteLine(JsonSerializer.Serialize(new { id = Encoding.UTF8.GetString(d.Id), text = Encoding.UTF8.GetString(d.Text), safety_score = 5 }));
            var script = Path.Combine(RepoRoot(), "bench", "reference", "tag_reference.py");
            var psi = new ProcessStartInfo("python3") { ArgumentList = { script, "--input", input, "--output", output, "--bench" }, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("tag_reference.py failed");
            tags = File.ReadLines(output).Sum(line => (long)JsonDocument.Parse(line).RootElement.GetProperty("tag_count").GetInt32());
            var report = JsonDocument.Parse(stdout).RootElement;
            return (report.GetProperty("seconds").GetDouble(), report.GetProperty("cpu_seconds").GetDouble());
        }
        finally { Directory.Delete(dir, true); }
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SafetyNotebooks.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>Deterministic English-like web text (words of realistic length, punctuation, line breaks, some UTF-8).</summary>
public static class SyntheticProse
{
    static readonly string[] Words =
    [
        "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "people", "information", "government", "development", "security", "weapon", "instructions",
        "community", "attack", "dangerous", "children", "content", "violence", "understand", "important", "between",
        "because", "through", "during", "without", "against", "however", "something", "students", "website", "über",
        "naïve", "café", "日本", "“quoted”", "don't", "e-mail", "2024", "$19.99", "(see", "below)", "etc.", "http://x.org/a",
    ];

    public static IReadOnlyList<(byte[] Id, byte[] Text)> Documents(long totalBytes, int seed)
    {
        var rng = new Random(seed);
        var docs = new List<(byte[], byte[])>();
        var sb = new StringBuilder();
        long total = 0;
        for (var i = 0; total < totalBytes; i++)
        {
            sb.Clear();
            var words = rng.Next(50, 1500);
            for (var w = 0; w < words; w++)
            {
                if (w > 0) sb.Append(rng.Next(40) switch { 0 => "\n", 1 => "\n\n", 2 => "  ", 3 => ". ", _ => " " });
                sb.Append(Words[rng.Next(Words.Length)]);
            }
            var text = Encoding.UTF8.GetBytes(sb.ToString());
            docs.Add((Encoding.UTF8.GetBytes($"<urn:uuid:{i:x8}-bench>"), text));
            total += text.Length;
        }
        return docs;
    }
}

/// <summary>
/// Harmfulness tagging end to end, Parquet → tag → Parquet (<c>safetynb tag</c>: validation pass, then the byte-level
/// path, and for comparison the general path: read, tag, write snappy; atomic rename), on 1 and 2 threads, against a pass-through job (read → write, no tagging) and Parquet.Net's
/// raw read of the text column (the baseline) in the same process. Args: [megabytes=48] [files=4] [--unsafe-share F] [--probe | --probe-raw | --byte-level-only]. Throughput
/// counts the UTF-8 bytes of the input texts; "per CPU-s" rows divide by process CPU time (per core, and steadier on a
/// shared machine than wall time). --byte-level-only times the byte-level path alone (1 and 2 threads). --probe instead times the
/// Parquet read and write of the same data alone, to show where an end-to-end run spends its time; --probe-raw times
/// the validation pass and the byte-level file step alone.
/// </summary>
public static class TagParquetBench
{
    public static int Run(string[] args)
    {
        // --unsafe-share F: only that share of the documents scores ≥ 1 (seeded); the paper's score histogram has ~15 %
        var shareAt = Array.IndexOf(args, "--unsafe-share");
        var share = shareAt >= 0 ? double.Parse(args[shareAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        if (shareAt >= 0) args = args.Where((_, i) => i != shareAt && i != shareAt + 1).ToArray();
        var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(int.Parse).ToArray();
        var megabytes = numbers.Length > 0 ? numbers[0] : 48;
        var files = numbers.Length > 1 ? numbers[1] : 4;
        var dir = Directory.CreateTempSubdirectory("snb-tagparquet-").FullName;
        try
        {
            var docs = SyntheticProse.Documents(megabytes * 1_000_000L, seed: 2);
            var mb = docs.Sum(d => (long)d.Text.Length) / 1e6;
            var input = Path.Combine(dir, "in");
            // which documents score ≥ 1: drawn once per document, seeded by its index
            var isUnsafe = docs.Select((_, i) => share >= 1 || new Random(i).NextDouble() < share).ToArray();
            for (var f = 0; f < files; f++)
                Data.Documents.WriteAsync(Path.Combine(input, $"{f:D5}.parquet"),
                    docs.Select((d, i) => (d, i)).Where(x => x.i % files == f)
                        .Select(x => new Data.Document(Encoding.UTF8.GetString(x.d.Id), Encoding.UTF8.GetString(x.d.Text), SafetyScore: isUnsafe[x.i] ? 5 : 0))).GetAwaiter().GetResult();
            Console.WriteLine($"corpus: {docs.Count} documents in {files} files, {mb:0.0} MB of UTF-8 text, {(share >= 1 ? "every document" : $"{isUnsafe.Count(u => u)} documents ({share:P0} drawn)")} tagged at p = 0.05");

            if (args.Contains("--probe"))
            {
                var ins = Data.ShardJob.FindInputs([input]);
                var batches = new List<Data.ParquetBatch>();
                var read = TagBench.MedianCpu(() => { batches.Clear(); foreach (var f in ins) { var e = Data.ParquetFiles.ReadBatchesAsync(f).GetAsyncEnumerator(); while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) batches.Add(e.Current); } }, 3);
                Harness.Row("probe: read", mb / read.TotalSeconds, "MB/s");
                var k = 0;
                foreach (var comp in new[] { Data.ParquetCompression.Snappy, Data.ParquetCompression.None })
                {
                    var write = TagBench.MedianCpu(() => { foreach (var b in batches) Data.ParquetFiles.WriteAsync(Path.Combine(dir, $"probe{k++}.parquet"), b.Schema, One(b), new Data.ParquetWriteOptions(comp)).GetAwaiter().GetResult(); }, 3);
                    Harness.Row($"probe: write {comp}", mb / write.TotalSeconds, "MB/s");
                }
                return 0;
            }
            if (args.Contains("--probe-raw"))
            {
                var ins = Data.ShardJob.FindInputs([input]);
                var plan = TagPlan.From(new TagOptions());
                var validate = TagBench.MedianCpu(() => TagParquet.ValidateAsync(ins, Data.Columns.SafetyScore, plan).GetAwaiter().GetResult(), 3);
                Harness.Row("probe: validation pass (ids and scores)", mb / validate.TotalSeconds, "MB/s");
                var k = 0;
                var tagOnly = TagBench.MedianCpu(() =>
                {
                    foreach (var f in ins)
                        if (TagParquetRaw.TryTagFileAsync(f, Path.Combine(dir, $"raw{k++}.parquet"), plan, Data.Columns.SafetyScore).GetAwaiter().GetResult().Outcome.FallbackReason is { } reason)
                            throw new InvalidOperationException($"byte-level path fell back: {reason}");
                }, 3);
                Harness.Row("probe: byte-level file step (ids, scores, text)", mb / tagOnly.TotalSeconds, "MB/s");
                return 0;
            }
            var run = 0;
            string Fresh() => Path.Combine(dir, $"out{run++}");
            var inputs = Data.ShardJob.FindInputs([input]);
            void Raw() { foreach (var f in inputs) RawTextRead(f).GetAwaiter().GetResult(); }
            void Copy() => Data.ShardJob.RunAsync(inputs, new Data.ShardJobOptions(Fresh()), (b, _) => b).GetAwaiter().GetResult();
            void Tag(int threads, bool byteLevel)
            {
                var r = TagParquet.RunAsync([input], Fresh(), new TagJobOptions(new TagOptions(), Threads: threads, ByteLevel: byteLevel)).GetAwaiter().GetResult();
                if (byteLevel && r.ByteLevelFiles != files) throw new InvalidOperationException($"byte-level path fell back: {string.Join("; ", r.Fallbacks!.Select(f => f.Reason))}");
            }
            if (args.Contains("--byte-level-only"))
            {
                // the byte-level path alone, as a `safetynb tag` process runs it (no general-path garbage in the heap);
                // 1 and 2 threads, 7 runs each after the warm-up; also a steady state for a profiler
                Console.WriteLine($"warm-up: {WarmUp(() => { Tag(1, true); Tag(2, true); })} rounds");
                var (methods, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
                var one = WallAndCpu(() => Tag(1, true), runs: 7);
                var two = WallAndCpu(() => Tag(2, true), runs: 7);
                Console.WriteLine($"JIT during the timed runs: {System.Runtime.JitInfo.GetCompiledMethodCount() - methods} methods, {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:0} ms");
                Harness.Row("byte-level tag path, 1 thread, per CPU-s", mb / one.Cpu, "MB/s");
                Harness.Row("byte-level tag path, 2 threads, per CPU-s", mb / two.Cpu, "MB/s");
                Harness.Row("byte-level tag path, 1 thread, wall", mb / one.Wall, "MB/s");
                Harness.Row("byte-level tag path, 2 threads, wall (2/1 speed-up)", mb / two.Wall, "MB/s", one.Wall / two.Wall);
                return 0;
            }
            // every path runs until tiered compilation has settled for all of them (a path's first timed runs would
            // otherwise pay for JIT work, which is a start-up cost of a job, not its throughput); then wall and process
            // CPU time of the same runs (median of 5 after a warm-up); per-core = MB per CPU-second
            var rounds = WarmUp(() => { Raw(); Copy(); Tag(1, false); Tag(2, false); Tag(1, true); Tag(2, true); });
            Console.WriteLine($"warm-up: {rounds} rounds of every path (until tiered compilation settled)");
            var raw = WallAndCpu(Raw);
            var copy = WallAndCpu(Copy);
            var tag1 = WallAndCpu(() => Tag(1, false));
            var tag2 = WallAndCpu(() => Tag(2, false));
            var fast1 = WallAndCpu(() => Tag(1, true));
            var fast2 = WallAndCpu(() => Tag(2, true));
            Harness.Row("raw Parquet.Net text read, per CPU-s [baseline]", mb / raw.Cpu, "MB/s", 1.0);
            Harness.Row("pass-through job (read → write), per CPU-s", mb / copy.Cpu, "MB/s", raw.Cpu / copy.Cpu);
            Harness.Row("general tag path, 1 thread, per CPU-s", mb / tag1.Cpu, "MB/s", raw.Cpu / tag1.Cpu);
            Harness.Row("general tag path, 2 threads, per CPU-s", mb / tag2.Cpu, "MB/s", raw.Cpu / tag2.Cpu);
            Harness.Row("byte-level tag path, 1 thread, per CPU-s", mb / fast1.Cpu, "MB/s", raw.Cpu / fast1.Cpu);
            Harness.Row("byte-level tag path, 2 threads, per CPU-s", mb / fast2.Cpu, "MB/s", raw.Cpu / fast2.Cpu);
            Harness.Row("raw Parquet.Net text read, per CPU-s without JIT time", mb / raw.CpuWithoutJit, "MB/s", 1.0);
            Harness.Row("byte-level tag path, 1 thread, per CPU-s without JIT time", mb / fast1.CpuWithoutJit, "MB/s", raw.CpuWithoutJit / fast1.CpuWithoutJit);
            Harness.Row("byte-level tag path, 2 threads, per CPU-s without JIT time", mb / fast2.CpuWithoutJit, "MB/s", raw.CpuWithoutJit / fast2.CpuWithoutJit);
            Harness.Row("raw Parquet.Net text read, wall", mb / raw.Wall, "MB/s");
            Harness.Row("pass-through job, wall", mb / copy.Wall, "MB/s");
            Harness.Row("general tag path, 1 thread, wall", mb / tag1.Wall, "MB/s");
            Harness.Row("general tag path, 2 threads, wall (2/1 speed-up)", mb / tag2.Wall, "MB/s", tag1.Wall / tag2.Wall);
            Harness.Row("byte-level tag path, 1 thread, wall", mb / fast1.Wall, "MB/s");
            Harness.Row("byte-level tag path, 2 threads, wall (2/1 speed-up)", mb / fast2.Wall, "MB/s", fast1.Wall / fast2.Wall);
            long Bytes(string d) => Directory.EnumerateFiles(d, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            var general = Fresh();
            TagParquet.RunAsync([input], general, new TagJobOptions(new TagOptions(), ByteLevel: false)).GetAwaiter().GetResult();
            var byteLevel = Fresh();
            TagParquet.RunAsync([input], byteLevel, new TagJobOptions(new TagOptions(), ByteLevel: true)).GetAwaiter().GetResult();
            Harness.Row("output size, byte-level path (general path = 1)", Bytes(byteLevel) / 1e6, "MB", (double)Bytes(byteLevel) / Bytes(general));
            Harness.Row("output size, general path (input = 1)", Bytes(general) / 1e6, "MB", (double)Bytes(general) / Bytes(input));
            Console.WriteLine("ratios: throughput relative to the raw read (per CPU-s), and 2-thread over 1-thread wall speed-up;");
            Console.WriteLine($"CPU-s per MB, 2 threads / 1 thread: general {tag2.Cpu / tag1.Cpu:0.00}, byte-level {fast2.Cpu / fast1.Cpu:0.00} (1.00 = no multi-thread overhead); machine: {Environment.ProcessorCount} logical CPUs");
            return 0;
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// Runs <paramref name="action"/> until tiered compilation has settled: two runs in a row that JIT-compile fewer
    /// than 5 methods (at most 40 runs). Tier-1 promotion waits for tier-0 activity to stop, so one quiet run is not
    /// enough. Returns the number of runs.
    /// </summary>
    static int WarmUp(Action action)
    {
        var quiet = 0;
        for (var run = 1; ; run++)
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            action();
            quiet = System.Runtime.JitInfo.GetCompiledMethodCount() - before < 5 ? quiet + 1 : 0;
            if (quiet == 2 || run == 40) return run;
        }
    }

    static async IAsyncEnumerable<Data.ParquetBatch> One(Data.ParquetBatch b) { await Task.CompletedTask; yield return b; }

    // the floor: Parquet.Net's own string read of the text column alone (no toolkit code, no other columns, no write)
    static async Task RawTextRead(string path)
    {
        await using var reader = await Parquet.ParquetReader.CreateAsync(path);
        var field = reader.Schema.GetDataFields().First(f => f.Name == Data.Columns.Text);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var buffer = new string?[reader.RowGroups[g].RowCount];
            await rg.ReadAsync(field, buffer.AsMemory());
        }
    }

    /// <summary>
    /// Median wall time, process CPU time, and process CPU time less the JIT's compile time in the same run (tiered
    /// compilation keeps re-compiling per-file methods for dozens of runs of this size; on a real corpus that is a
    /// start-up cost, spread over hours of work).
    /// </summary>
    static (double Wall, double Cpu, double CpuWithoutJit) WallAndCpu(Action action, int runs = 5)
    {
        action();
        var process = Process.GetCurrentProcess();
        var wall = new List<double>();
        var cpu = new List<double>();
        var cpuWithoutJit = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var sw = Stopwatch.StartNew();
            action();
            wall.Add(sw.Elapsed.TotalSeconds);
            process.Refresh();
            var used = (process.TotalProcessorTime - before).TotalSeconds;
            cpu.Add(used);
            cpuWithoutJit.Add(used - (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalSeconds);
        }
        return (wall.Order().ElementAt(runs / 2), cpu.Order().ElementAt(runs / 2), cpuWithoutJit.Order().ElementAt(runs / 2));
    }
}
