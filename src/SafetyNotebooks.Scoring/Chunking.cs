namespace SafetyNotebooks.Scoring;

/// <summary>One model input: the document it belongs to and its token ids (with [CLS] … [SEP]).</summary>
public sealed record Chunk(int Document, int[] Ids);

/// <summary>A padded batch: ids and attention mask as [B][T] rows, and the document of each row.</summary>
public sealed record PaddedBatch(long[,] InputIds, long[,] AttentionMask, int[] Documents);

/// <summary>
/// Long documents (PAPER.md §1.1): split the token sequence into chunks of the model's maximum length, score every
/// chunk and keep the maximum. Chunks are batched by length (longest first) with padding only up to the longest in
/// the batch, so short documents do not pay for long ones.
/// </summary>
public static class Chunking
{
    /// <summary>Splits <paramref name="ids"/> (without special tokens) into [CLS] piece [SEP] chunks of at most <paramref name="maxLength"/>; an empty text is one chunk.</summary>
    public static IEnumerable<int[]> Split(IReadOnlyList<int> ids, int maxLength, int clsId, int sepId)
    {
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), "room for [CLS], one token and [SEP] is needed");
        var body = maxLength - 2;
        var start = 0;
        do
        {
            var n = Math.Min(body, ids.Count - start);
            var chunk = new int[n + 2];
            chunk[0] = clsId;
            for (var i = 0; i < n; i++) chunk[i + 1] = ids[start + i];
            chunk[^1] = sepId;
            yield return chunk;
            start += n;
        } while (start < ids.Count);
    }

    /// <summary>Length-sorted (descending, stable), dynamically padded batches of at most <paramref name="batchSize"/> rows.</summary>
    public static IEnumerable<PaddedBatch> Batches(IEnumerable<Chunk> chunks, int batchSize, int padId)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        foreach (var group in chunks.OrderByDescending(c => c.Ids.Length).Chunk(batchSize))
        {
            var width = group[0].Ids.Length;
            var ids = new long[group.Length, width];
            var mask = new long[group.Length, width];
            for (var r = 0; r < group.Length; r++)
                for (var t = 0; t < width; t++)
                {
                    var inside = t < group[r].Ids.Length;
                    ids[r, t] = inside ? group[r].Ids[t] : padId;
                    mask[r, t] = inside ? 1 : 0;
                }
            yield return new PaddedBatch(ids, mask, group.Select(c => c.Document).ToArray());
        }
    }
}
