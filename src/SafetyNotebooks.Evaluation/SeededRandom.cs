namespace SafetyNotebooks.Evaluation;

/// <summary>
/// A small, portable pseudo-random generator (<see cref="SplitMix64"/>) for resampling and shot selection. Unlike
/// <see cref="System.Random"/>, its sequence is specified here, so a seed gives the same confidence intervals on every
/// runtime and platform.
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    SplitMix64 _generator = new(seed);

    public SeededRandom(long seed) : this(unchecked((ulong)seed)) { }

    public ulong NextUInt64() => _generator.Next();

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
        => unchecked((long)new SplitMix64((ulong)seed ^ Fnv1a64.Hash(name)).Next());

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
