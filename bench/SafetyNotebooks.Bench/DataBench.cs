using System.Diagnostics;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Parquet throughput in the released schema (id, text, metadata{…} + toolkit columns), MB of UTF-8 text per second on
/// one core: write (documents → file), read (file → documents, and file → batches), read+write (an identity
/// <see cref="ShardJob"/>). Usage: <c>data [--mb 200] [--codec snappy|zstd]</c>.
/// </summary>
public static class DataBench
{
    public static int Run(string[] args)
    {
        var mb = args.SkipWhile(a => a != "--mb").Skip(1).Select(double.Parse).FirstOrDefault(200);
        var codec = args.SkipWhile(a => a != "--codec").Skip(1).Select(c => Enum.Parse<ParquetCompression>(c, true)).FirstOrDefault(ParquetCompression.Snappy);
        var dir = Directory.CreateTempSubdirectory("snb-databench-").FullName;
        try
        {
            // ~1 KB documents (three toy documents glued together), like FineWeb-Edu's short pages
            var docs = new List<Document>();
            long bytes = 0;
            for (long i = 0; bytes < mb * 1e6; i++)
            {
                var d = ToyWorld.Document(i, new ToyOptions(1));
                d = d with { Text = d.Text + ToyWorld.Document(i + 1_000_000, new ToyOptions(1)).Text + ToyWorld.Document(i + 2_000_000, new ToyOptions(1)).Text };
                docs.Add(d);
                bytes += d.TextBytes;
            }
            var textMb = bytes / 1e6;
            Console.WriteLine($"{docs.Count:N0} documents, {textMb:0.0} MB of text, codec {codec}, row groups of 10,000; single-threaded");
            var input = Path.Combine(dir, "in", "00000.parquet");
            var write = Time(() => Documents.WriteAsync(input, docs, new DocumentWriteOptions(Compression: codec)).GetAwaiter().GetResult());
            Console.WriteLine($"file size {new FileInfo(input).Length / 1e6:0.0} MB");
            docs = null;
            GC.Collect();
            var readDocs = Time(() => { long n = 0; foreach (var _ in Documents.ReadAsync(input).ToBlockingEnumerable()) n++; });
            var readBatches = Time(() => { foreach (var _ in ParquetFiles.ReadBatchesAsync(input).ToBlockingEnumerable()) { } });
            var readText = Time(() => { foreach (var _ in ParquetFiles.ReadBatchesAsync(input, new ParquetReadOptions(["text"])).ToBlockingEnumerable()) { } });
            var raw = Time(() => RawTextRead(input).GetAwaiter().GetResult());
            var job = Time(() => ShardJob.RunAsync([input], new ShardJobOptions(Path.Combine(dir, "out" + Guid.NewGuid().ToString("N")), Write: new ParquetWriteOptions(codec)), (b, _) => b).GetAwaiter().GetResult());
            // MB per CPU-second of this process: "per core", and not distorted by other processes on a shared machine
            foreach (var (name, t, ratio) in new[]
                     {
                         ("write documents", write, (double?)null),
                         ("read documents (all columns)", readDocs, readDocs.Cpu / readBatches.Cpu),
                         ("read batches (all columns) [baseline]", readBatches, 1.0),
                         ("read batches (text column only)", readText, readText.Cpu / readBatches.Cpu),
                         ("raw Parquet.Net text read (no toolkit code)", raw, raw.Cpu / readBatches.Cpu),
                         ("read+write (identity ShardJob)", job, null),
                     })
            {
                Harness.Row(name + " per CPU-s", textMb / t.Cpu, "MB/s", ratio);
                Harness.Row(name + " wall", textMb / t.Wall, "MB/s");
            }
            Console.WriteLine("ratios are CPU time relative to the baseline (lower is faster)");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // the floor: Parquet.Net's own string read of the text column, as in TOOLCHAIN.md §4
    static async Task RawTextRead(string path)
    {
        await using var reader = await Parquet.ParquetReader.CreateAsync(path);
        var field = reader.Schema.GetDataFields().First(f => f.Name == "text");
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var buffer = new string?[reader.RowGroups[g].RowCount];
            await rg.ReadAsync(field, buffer.AsMemory());
        }
    }

    // a separate warm-up is not affordable at 200 MB; report the median of three runs (wall and process CPU seconds)
    static (double Wall, double Cpu) Time(Action a)
    {
        var times = new List<(double Wall, double Cpu)>();
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < 3; i++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            a();
            process.Refresh();
            times.Add((sw.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds));
        }
        return (times.Select(t => t.Wall).Order().ElementAt(1), times.Select(t => t.Cpu).Order().ElementAt(1));
    }
}
