namespace SafetyNotebooks;

/// <summary>FNV-1a, 64-bit: turns a document id into the key that seeds its tag draws, and a stream name into a sub-seed.</summary>
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

    /// <summary>The hash of <paramref name="text"/>'s UTF-8 bytes.</summary>
    public static ulong Hash(string text) => Hash(System.Text.Encoding.UTF8.GetBytes(text));
}
