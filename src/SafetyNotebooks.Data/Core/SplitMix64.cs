namespace SafetyNotebooks;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit add and two multiply-xorshift mixes per draw. The one
/// definition of the generator and of its finaliser <see cref="Mix"/> for every seeded draw in the toolkit (tag draws,
/// bootstrap resamples, toy corpora, training block order, classifier shuffles, n-gram context hashes): its output is
/// fixed by this definition, unlike <see cref="Random"/>'s, so a seed gives the same result on every runtime. A mutable
/// struct on purpose — it lives on the stack of one call (or in one owner's field) and never escapes.
/// </summary>
public struct SplitMix64(ulong state)
{
    ulong _state = state;

    /// <summary>The golden-ratio increment added to the state before each draw.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15;

    public ulong Next() => Mix(_state += Gamma);

    /// <summary>SplitMix64's finaliser (Stafford's "Mix13"): a bijective 64-bit hash, also used to derive sub-seeds.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform draw in [0, 1) with 53 random bits: <c>(next() &gt;&gt; 11) · 2^-53</c>.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// The integer threshold T with <c>(next() &gt;&gt; 11) &lt; T ⇔ NextDouble() &lt; p</c>: since k·2^-53 is exact,
    /// k·2^-53 &lt; p ⇔ k &lt; p·2^53 ⇔ k &lt; ⌈p·2^53⌉ for an integer k. Lets the hot loop compare integers only.
    /// </summary>
    public static ulong Threshold53(double p) => p <= 0 ? 0 : p >= 1 ? 1UL << 53 : (ulong)Math.Ceiling(p * (1UL << 53));
}
