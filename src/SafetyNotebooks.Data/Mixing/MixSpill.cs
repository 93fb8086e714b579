using SafetyNotebooks.Data;

namespace SafetyNotebooks.Mixing;

/// <summary>A row on its way to the output: its seeded key, the index of its source in the phase, its copy, its document.</summary>
public readonly record struct SpillRow(ulong Key, int Source, int Copy, Document Doc);

/// <summary>
/// The on-disk buckets of a phase's rows, split by the top bits of their keys so that bucket order is mixture order.
/// A bucket is read back, sorted and released one at a time; one larger than the memory bound is split 16 ways by its
/// next key bits first (the keys are uniform hashes, so this ends). Files are a plain binary record per row.
/// </summary>
public sealed class MixSpill : IDisposable
{
    const int BufferBytes = 1 << 16;
    readonly string dir;
    readonly int bits;
    readonly MixMemory memory;
    readonly Comparison<SpillRow> order;
    readonly BinaryWriter?[] writers;
    readonly long[] counts, bytes;

    public MixSpill(string dir, int buckets, MixMemory memory, Comparison<SpillRow> order)
    {
        if (buckets < 1 || (buckets & (buckets - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(buckets), "a power of two");
        this.dir = dir; this.memory = memory; this.order = order;
        bits = System.Numerics.BitOperations.Log2((uint)buckets);
        writers = new BinaryWriter?[buckets];
        counts = new long[buckets];
        bytes = new long[buckets];
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); // a killed run's buckets
        Directory.CreateDirectory(dir);
    }

    public int Buckets => writers.Length;
    public long Count(int bucket) => counts[bucket];
    public long Rows => counts.Sum();

    /// <summary>Buckets for an estimated size: about half the bound each, at most 256 open files.</summary>
    public static int BucketsFor(long estimatedBytes, long limitBytes) =>
        (int)Math.Min(256, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, (estimatedBytes * 2 + limitBytes - 1) / limitBytes)));

    public void Add(SpillRow row)
    {
        var b = bits == 0 ? 0 : (int)(row.Key >> (64 - bits));
        var w = writers[b] ??= Open(Path.Combine(dir, $"{b:D5}.bin"));
        Write(w, row);
        counts[b]++;
        bytes[b] += MixMemory.Cost(row.Doc);
    }

    /// <summary>Closes the bucket files; call once every row is added.</summary>
    public void Complete()
    {
        foreach (var w in writers) w?.Dispose();
        Array.Fill(writers, null);
    }

    /// <summary>The rows of a bucket in mixture order; the bucket's file is deleted once read.</summary>
    public IEnumerable<SpillRow> Sorted(int bucket) => Sorted(Path.Combine(dir, $"{bucket:D5}.bin"), counts[bucket], bytes[bucket], bits);

    /// <summary>Deletes a bucket this worker does not need.</summary>
    public void Drop(int bucket) => File.Delete(Path.Combine(dir, $"{bucket:D5}.bin"));

    IEnumerable<SpillRow> Sorted(string path, long count, long cost, int used)
    {
        if (!File.Exists(path)) yield break;
        if (cost <= memory.LimitBytes || count <= 1 || used >= 64)
        {
            var rows = ReadAll(path);
            memory.Hold(rows.Count, cost);
            try
            {
                rows.Sort(order);
                foreach (var r in rows) yield return r;
            }
            finally { memory.Release(rows.Count, cost); } // also when the reader stops at the last row it needs
            File.Delete(path);
            yield break;
        }
        var step = Math.Min(4, 64 - used);
        var parts = Split(path, used, step);
        foreach (var (part, partCount, partCost) in parts)
            foreach (var r in Sorted(part, partCount, partCost, used + step)) yield return r;
    }

    List<(string Path, long Count, long Cost)> Split(string path, int used, int step)
    {
        var n = 1 << step;
        var parts = Enumerable.Range(0, n).Select(i => ($"{path}.{i:X}", 0L, 0L)).ToList();
        var outs = new BinaryWriter?[n];
        using (var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes)))
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                var row = Read(reader);
                var i = (int)((row.Key << used) >> (64 - step));
                Write(outs[i] ??= Open(parts[i].Item1), row);
                parts[i] = (parts[i].Item1, parts[i].Item2 + 1, parts[i].Item3 + MixMemory.Cost(row.Doc));
            }
        foreach (var w in outs) w?.Dispose();
        File.Delete(path);
        return parts;
    }

    BinaryWriter Open(string path)
    {
        memory.CountSpillFile();
        return new BinaryWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes));
    }

    static List<SpillRow> ReadAll(string path)
    {
        var rows = new List<SpillRow>();
        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes));
        while (reader.BaseStream.Position < reader.BaseStream.Length) rows.Add(Read(reader));
        return rows;
    }

    // every field of a document, nulls flagged, doubles and dates bit-exact: the output is the same as from memory
    static void Write(BinaryWriter w, SpillRow r)
    {
        w.Write(r.Key); w.Write(r.Source); w.Write(r.Copy);
        var d = r.Doc;
        w.Write(d.Id); w.Write(d.Text);
        Opt(w, d.SafetyScore, w.Write); Opt(w, d.SafetyScoreSource, w.Write); Opt(w, d.SafetyReason, w.Write); Opt(w, d.TagCount, w.Write);
        w.Write(d.Metadata is not null);
        if (d.Metadata is not { } m) return;
        Opt(w, m.Dump, w.Write); Opt(w, m.Url, w.Write); Opt(w, m.Date?.ToBinary(), w.Write); Opt(w, m.FilePath, w.Write); Opt(w, m.Language, w.Write);
        Opt(w, m.LanguageScore, w.Write); Opt(w, m.TokenCount, w.Write); Opt(w, m.Score, w.Write); Opt(w, m.IntScore, w.Write);
    }

    static SpillRow Read(BinaryReader r)
    {
        var key = r.ReadUInt64(); var source = r.ReadInt32(); var copy = r.ReadInt32();
        var id = r.ReadString(); var text = r.ReadString();
        var score = Opt(r, r.ReadInt32); var scoreSource = Ref(r, r.ReadString); var reason = Ref(r, r.ReadString); var tags = Opt(r, r.ReadInt32);
        DocumentMetadata? meta = null;
        if (r.ReadBoolean())
            meta = new DocumentMetadata(Ref(r, r.ReadString), Ref(r, r.ReadString), Opt(r, r.ReadInt64) is { } t ? DateTime.FromBinary(t) : null,
                Ref(r, r.ReadString), Ref(r, r.ReadString), Opt(r, r.ReadDouble), Opt(r, r.ReadInt64), Opt(r, r.ReadDouble), Opt(r, r.ReadInt64));
        return new SpillRow(key, source, copy, new Document(id, text, meta, score, scoreSource, reason, tags));
    }

    static void Opt<T>(BinaryWriter w, T? v, Action<T> write) where T : struct { w.Write(v.HasValue); if (v is { } x) write(x); }
    static void Opt(BinaryWriter w, string? v, Action<string> write) { w.Write(v is not null); if (v is not null) write(v); }
    static T? Opt<T>(BinaryReader r, Func<T> read) where T : struct => r.ReadBoolean() ? read() : null;
    static string? Ref(BinaryReader r, Func<string> read) => r.ReadBoolean() ? read() : null;

    public void Dispose()
    {
        Complete();
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
