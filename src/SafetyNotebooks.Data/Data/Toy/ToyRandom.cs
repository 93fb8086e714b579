namespace SafetyNotebooks.Data.Toy;

/// <summary>
/// SplitMix64: a tiny PRNG whose output is fixed by its definition (unlike <see cref="Random"/>, whose algorithm may
/// change between .NET versions), so a toy corpus is byte-identical for a seed on every machine and runtime.
/// </summary>
public struct ToyRandom(ulong state)
{
    ulong _state = state;

    /// <summary>A generator for item <paramref name="index"/> of stream <paramref name="seed"/>, independent of every other index.</summary>
    public static ToyRandom For(long seed, long index, ulong salt = 0) =>
        new(Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)index + 0x632BE59BD9B4E019UL) ^ salt));

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong() => Mix(_state += 0x9E3779B97F4A7C15UL);

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
