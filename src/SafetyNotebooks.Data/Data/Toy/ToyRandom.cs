namespace SafetyNotebooks.Data.Toy;

/// <summary>
/// <see cref="SplitMix64"/> with the toy corpus's draws on top: output fixed by its definition (unlike <see cref="Random"/>, whose algorithm may
/// change between .NET versions), so a toy corpus is byte-identical for a seed on every machine and runtime.
/// </summary>
public struct ToyRandom(ulong state)
{
    SplitMix64 _generator = new(state);

    /// <summary>A generator for item <paramref name="index"/> of stream <paramref name="seed"/>, independent of every other index.</summary>
    public static ToyRandom For(long seed, long index, ulong salt = 0) =>
        new(SplitMix64.Mix((ulong)seed * SplitMix64.Gamma ^ SplitMix64.Mix((ulong)index + 0x632BE59BD9B4E019UL) ^ salt));

    public ulong NextULong() => _generator.Next();

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => (int)(NextULong() % (ulong)n);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Index drawn with probability proportional to <paramref name="weights"/>.</summary>
    public int Weighted(IReadOnlyList<double> weights)
    {
        var total = weights.Sum();
        var u = NextDouble() * total;
        for (var i = 0; i < weights.Count; i++)
            if ((u -= weights[i]) < 0) return i;
        return weights.Count - 1;
    }

    /// <summary><paramref name="k"/> distinct items in random order.</summary>
    public List<T> Sample<T>(IReadOnlyList<T> items, int k)
    {
        var idx = Enumerable.Range(0, items.Count).ToArray();
        for (var i = 0; i < Math.Min(k, idx.Length); i++)
        {
            var j = i + Next(idx.Length - i);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        return idx.Take(k).Select(i => items[i]).ToList();
    }
}
