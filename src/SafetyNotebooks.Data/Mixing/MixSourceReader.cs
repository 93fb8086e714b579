using System.Runtime.CompilerServices;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Mixing;

/// <summary>
/// Streams a source's admitted documents (its inputs, in the <see cref="InputFiles"/> order, through its score filter),
/// optionally with their token counts, counted on <c>threads</c> threads over batches that fit <see cref="MixMemory"/>.
/// </summary>
public sealed record MixSourceReader(Func<string, long> Count, int Threads, MixMemory Memory)
{
    /// <summary>The admitted documents of <paramref name="source"/> without token counts.</summary>
    public async IAsyncEnumerable<Document> AdmittedAsync(MixSource source, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var file in InputFiles.Find(source.Inputs, InputFiles.Parquet))
            await foreach (var d in Documents.ReadAsync(file.Path, ct))
                if (source.Admits(d.SafetyScore)) yield return d;
    }

    /// <summary>The admitted documents with their token counts, for those <paramref name="wanted"/> picks (all when null).</summary>
    public async IAsyncEnumerable<MixCandidate> CountedAsync(MixSource source, Func<Document, bool>? wanted, [EnumeratorCancellation] CancellationToken ct)
    {
        var batch = new List<Document>();
        long bytes = 0;
        await foreach (var d in AdmittedAsync(source, ct))
        {
            if (wanted is not null && !wanted(d)) continue;
            var cost = MixMemory.Cost(d);
            if (!Memory.Fits(cost) && batch.Count > 0)
            {
                foreach (var c in Counted(batch)) yield return c;
                Memory.Release(batch.Count, bytes);
                batch.Clear(); bytes = 0;
            }
            Memory.Hold(1, cost);
            batch.Add(d); bytes += cost;
        }
        foreach (var c in Counted(batch)) yield return c;
        Memory.Release(batch.Count, bytes);
    }

    List<MixCandidate> Counted(List<Document> batch) =>
        batch.AsParallel().AsOrdered().WithDegreeOfParallelism(Threads).Select(d => new MixCandidate(d, Count(d.Text))).ToList();
}
