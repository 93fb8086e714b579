namespace SafetyNotebooks.Evaluation;

/// <summary>
/// A small, portable pseudo-random generator (SplitMix64) for resampling and shot selection. Unlike
/// <see cref="System.Random"/>, its sequence is specified here, so a seed gives the same confidence intervals on every
/// runtime and platform.
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    ulong _state = seed;

    public SeededRandom(long seed) : this(unchecked((ulong)seed)) { }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        var threshold = (0UL - (ulong)bound) % (ulong)bound;
        while (true)
        {
            var product = (UInt128)NextUInt64() * (ulong)bound;
            if ((ulong)product >= threshold) return (int)(product >> 64);
        }
    }

    /// <summary>A sub-seed for a named stream (per source, per task), stable across runs unlike string.GetHashCode.</summary>
    public static long Derive(long seed, string name)
    {
        var h = 14695981039346656037UL; // FNV-1a over UTF-8
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(name)) h = (h ^ b) * 1099511628211UL;
        return unchecked((long)new SeededRandom(unchecked((ulong)seed ^ h)).NextUInt64());
    }

    /// <summary>A seeded Fisher–Yates permutation of 0..n-1.</summary>
    public static int[] Permutation(int n, long seed)
    {
        var rng = new SeededRandom(seed);
        var p = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
