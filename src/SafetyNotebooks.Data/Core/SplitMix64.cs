namespace SafetyNotebooks.Tagging;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit add and two multiply-xorshift mixes per draw. A mutable struct
/// on purpose — it lives on the stack of one tagging call and never escapes.
/// </summary>
public struct SplitMix64(ulong state)
{
    ulong _state = state;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15;
        var z = _state;
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
