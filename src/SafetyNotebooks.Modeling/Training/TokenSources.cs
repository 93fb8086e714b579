using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Training;

/// <summary>Training data as numbered blocks of T+1 tokens (input 0..T-1, target 1..T), as LitGPT reads them.</summary>
public interface ITokenSource
{
    /// <summary>Tokens per block (T+1).</summary>
    int BlockSize { get; }

    long BlockCount { get; }

    int[] Block(long index);
}

/// <summary>A token stream in memory, cut into consecutive blocks (the remainder is dropped).</summary>
public sealed record InMemoryTokenSource(int[] Tokens, int BlockSize) : ITokenSource
{
    public long BlockCount => Tokens.Length / BlockSize;

    public int[] Block(long index) => Tokens.AsSpan((int)(index * BlockSize), BlockSize).ToArray();
}

/// <summary>TokensLoader's view of a LitData dataset: per chunk, dim / (T+1) blocks (one chunk cached at a time).</summary>
public sealed class LitDataTokenSource : ITokenSource
{
    readonly LitDataReader reader;
    readonly long[] firstBlock;
    int cachedChunk = -1;
    int[] cached = [];

    public LitDataTokenSource(string dir, int blockSize)
    {
        reader = LitDataReader.Open(dir);
        BlockSize = blockSize;
        firstBlock = new long[reader.Chunks.Count + 1];
        for (var i = 0; i < reader.Chunks.Count; i++) firstBlock[i + 1] = firstBlock[i] + reader.Chunks[i].Dim / blockSize;
        if (BlockCount == 0) throw new BadInputException($"no block of {blockSize} tokens (seq_len + 1) fits in any chunk of {dir}; lower seq_len", "training YAML", "seq_len", (blockSize - 1).ToString());
    }

    public int BlockSize { get; }

    public long BlockCount => firstBlock[^1];

    public int[] Block(long index)
    {
        var chunk = Array.BinarySearch(firstBlock, index);
        chunk = chunk >= 0 ? chunk : ~chunk - 1;
        while (firstBlock[chunk + 1] == firstBlock[chunk]) chunk++; // skip chunks with no whole block
        if (chunk != cachedChunk)
        {
            cached = reader.ReadItems(chunk).SelectMany(t => t).ToArray();
            cachedChunk = chunk;
        }
        var offset = (index - firstBlock[chunk]) * BlockSize;
        return cached.AsSpan((int)offset, BlockSize).ToArray();
    }
}

/// <summary>Builders of token sources.</summary>
public static class TokenSources
{
    /// <summary>Tokenizes texts (each followed by EOS when the tokenizer has one) into one stream, in order.</summary>
    public static InMemoryTokenSource FromTexts(IEnumerable<string> texts, ITextTokenizer tokenizer, int sequenceLength, int? eosId)
    {
        var stream = new List<int>();
        foreach (var t in texts)
        {
            stream.AddRange(tokenizer.Encode(t));
            if (eosId is { } e) stream.Add(e);
        }
        var source = new InMemoryTokenSource(stream.ToArray(), sequenceLength + 1);
        if (source.BlockCount == 0) throw new BadInputException($"the texts give {stream.Count} tokens, fewer than one block of seq_len + 1 = {sequenceLength + 1}; lower seq_len or add data", "training YAML", "seq_len", sequenceLength.ToString());
        return source;
    }

    /// <summary>Parquet (released schema, via the data layer) or JSONL ("text") documents, tokenized in memory.</summary>
    public static async Task<InMemoryTokenSource> FromDocumentsAsync(string path, HfTokenizer tokenizer, int sequenceLength, CancellationToken ct = default)
    {
        var texts = new List<string>();
        await foreach (var t in LitDataExporter.ReadTexts(path, ct)) texts.Add(t);
        return FromTexts(texts, tokenizer, sequenceLength, tokenizer.EosId);
    }

    public static LitDataTokenSource FromLitData(string dir, int sequenceLength) => new(dir, sequenceLength + 1);
}
