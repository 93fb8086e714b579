using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// Keys (after RoPE) and values of every layer, [rows, kvHeads, length, headDim] each, stored at the KV-head count
/// (grouped-query attention repeats them only inside attention). The cache owns its tensors.
/// </summary>
public sealed class LlamaKvCache : KvCache
{
    readonly Tensor?[] keys, values;

    public LlamaKvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    public override long Length => keys[0]?.shape[2] ?? 0;

    public override long Rows => keys[0]?.shape[0] ?? 0;

    /// <summary>Appends this step's keys and values for <paramref name="layer"/> and returns the whole cached sequence.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = keys[layer];
        var oldV = values[layer];
        if (oldK is not null && oldK.shape[0] != k.shape[0])
            throw new ArgumentException($"the cache holds {oldK.shape[0]} rows but the input has {k.shape[0]}; use SelectRows to expand it first");
        var newK = (oldK is null ? k.detach().clone() : cat([oldK, k.detach()], 2)).DetachFromDisposeScope();
        var newV = (oldV is null ? v.detach().clone() : cat([oldV, v.detach()], 2)).DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        keys[layer] = newK;
        values[layer] = newV;
        // Attention uses aliases so that the caller's dispose scope never frees the cache's own tensors.
        return (newK.alias(), newV.alias());
    }

    public override void SelectRows(Tensor rowIndex)
    {
        if (keys[0] is null) return;
        using var index = rowIndex.to_type(ScalarType.Int64).to(keys[0]!.device).DetachFromDisposeScope();
        for (var i = 0; i < keys.Length; i++)
        {
            var k = keys[i]!.index_select(0, index).DetachFromDisposeScope();
            var v = values[i]!.index_select(0, index).DetachFromDisposeScope();
            keys[i]!.Dispose();
            values[i]!.Dispose();
            keys[i] = k;
            values[i] = v;
        }
    }

    public override void Dispose()
    {
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
    }
}
