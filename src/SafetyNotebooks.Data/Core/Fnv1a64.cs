namespace SafetyNotebooks.Tagging;

/// <summary>FNV-1a, 64-bit: turns a document id into the key that seeds its tag draws (issue 4's exact semantics).</summary>
public static class Fnv1a64
{
    public const ulong OffsetBasis = 0xcbf29ce484222325;
    public const ulong Prime = 0x100000001b3;

    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        var h = OffsetBasis;
        foreach (var b in bytes) h = (h ^ b) * Prime;
        return h;
    }
}
