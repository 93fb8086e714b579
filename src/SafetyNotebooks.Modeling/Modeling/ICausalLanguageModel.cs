using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// Per-layer key/value cache of a decoder. Rows are sequences (prompts, beams, candidates); every row has the same
/// cached length (left-padded batches mark padding through the attention mask).
/// </summary>
public abstract class KvCache : IDisposable
{
    /// <summary>Number of positions cached per row.</summary>
    public abstract long Length { get; }

    /// <summary>Number of rows.</summary>
    public abstract long Rows { get; }

    /// <summary>
    /// Keeps, reorders or repeats rows: row i of the result is row <paramref name="rowIndex"/>[i] of this cache
    /// (beam reordering, dropping finished rows, expanding one prefix into many candidates). Int64 indices on any device.
    /// </summary>
    public abstract void SelectRows(Tensor rowIndex);

    public abstract void Dispose();
}

/// <summary>A causal language model that decoding, evaluation and serving can drive.</summary>
public interface ICausalLanguageModel
{
    long VocabSize { get; }

    Device Device { get; }

    /// <summary>An empty cache for this model.</summary>
    KvCache CreateCache();

    /// <summary>
    /// Runs <paramref name="inputIds"/> [rows, T] (int64) through the model and returns float32 logits [rows, T, vocab].
    /// <paramref name="positionIds"/> [rows, T]: absolute positions (default: cache length + 0..T-1 for every row).
    /// <paramref name="attentionMask"/> [rows, cacheLength + T]: 1 for real tokens, 0 for padding (default: all real).
    /// When <paramref name="cache"/> is given, the new keys and values are appended to it.
    /// </summary>
    Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null);
}
