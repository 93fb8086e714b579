using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SafetyNotebooks.Tagging;

/// <summary>
/// The word boundaries of Algorithm 1 on raw UTF-8: whitespace is exactly the ASCII bytes 0x20 and 0x09–0x0D (every
/// other byte, including all of multi-byte UTF-8, belongs to a word). Works 64 bytes at a time with SIMD compares.
/// </summary>
public static class AsciiWhitespace
{
    public static bool IsWhitespace(byte b) => b == 0x20 || (uint)(b - 0x09) <= 0x0D - 0x09;

    /// <summary>Bit i is set when byte i of the 64 bytes at <paramref name="p"/> is whitespace.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mask64(ref byte p)
    {
        if (Vector512.IsHardwareAccelerated)
            return Mask(Vector512.LoadUnsafe(ref p)).ExtractMostSignificantBits();
        if (Vector256.IsHardwareAccelerated)
            return Mask(Vector256.LoadUnsafe(ref p)).ExtractMostSignificantBits()
                   | (ulong)Mask(Vector256.LoadUnsafe(ref p, 32)).ExtractMostSignificantBits() << 32;
        if (Vector128.IsHardwareAccelerated)
            return Mask(Vector128.LoadUnsafe(ref p)).ExtractMostSignificantBits()
                   | (ulong)Mask(Vector128.LoadUnsafe(ref p, 16)).ExtractMostSignificantBits() << 16
                   | (ulong)Mask(Vector128.LoadUnsafe(ref p, 32)).ExtractMostSignificantBits() << 32
                   | (ulong)Mask(Vector128.LoadUnsafe(ref p, 48)).ExtractMostSignificantBits() << 48;
        ulong m = 0;
        for (var i = 0; i < 64; i++)
            if (IsWhitespace(Unsafe.Add(ref p, i))) m |= 1UL << i;
        return m;
    }

    // 0x20, or 0x09..0x0D via one unsigned compare: (b - 9) < 5. Byte lanes compare unsigned.
    static Vector512<byte> Mask(Vector512<byte> v) =>
        Vector512.Equals(v, Vector512.Create((byte)0x20)) | Vector512.LessThan(v - Vector512.Create((byte)0x09), Vector512.Create((byte)5));

    static Vector256<byte> Mask(Vector256<byte> v) =>
        Vector256.Equals(v, Vector256.Create((byte)0x20)) | Vector256.LessThan(v - Vector256.Create((byte)0x09), Vector256.Create((byte)5));

    static Vector128<byte> Mask(Vector128<byte> v) =>
        Vector128.Equals(v, Vector128.Create((byte)0x20)) | Vector128.LessThan(v - Vector128.Create((byte)0x09), Vector128.Create((byte)5));

    // A short last block, padded with spaces (which never start a word); kept out of line so the hot path has no stackalloc
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static ulong TailMask(ReadOnlySpan<byte> tail)
    {
        Span<byte> block = stackalloc byte[64];
        block.Fill(0x20);
        tail.CopyTo(block);
        return AsciiWhitespace.Mask64(ref MemoryMarshal.GetReference(block));
    }

    /// <summary>The number of words (maximal runs of non-whitespace bytes): a popcount of the word-start bits.</summary>
    public static int CountWords(ReadOnlySpan<byte> text)
    {
        ref var origin = ref MemoryMarshal.GetReference(text);
        ulong carry = 1;
        var count = 0;
        for (var block = 0; block < text.Length; block += 64)
        {
            var ws = text.Length - block >= 64 ? Mask64(ref Unsafe.Add(ref origin, block)) : TailMask(text[block..]);
            count += System.Numerics.BitOperations.PopCount(~ws & ((ws << 1) | carry));
            carry = ws >> 63;
        }
        return count;
    }

    /// <summary>The byte offsets where words start, in order (a reference for tests and small callers; the tagger streams them).</summary>
    public static int[] WordStarts(ReadOnlySpan<byte> text)
    {
        var starts = new List<int>();
        var walker = new WordStartWalker(text);
        while (walker.MoveNext()) starts.Add(walker.Current);
        return [.. starts];
    }
}

/// <summary>
/// Enumerates word-start offsets of a UTF-8 span: a start is a non-whitespace byte at offset 0 or after whitespace.
/// For each 64-byte block, starts = ¬ws ∧ (ws ≪ 1 | carry), then set bits are popped with trailing-zero counts.
/// </summary>
public ref struct WordStartWalker
{
    readonly ReadOnlySpan<byte> _text;
    int _block;          // offset of the current 64-byte block
    ulong _starts;       // remaining start bits of the current block
    ulong _carry;        // 1 when the byte before the next block is whitespace (the text's start counts as whitespace)
    public int Current { get; private set; }

    public WordStartWalker(ReadOnlySpan<byte> text)
    {
        _text = text;
        _block = -64;
        _starts = 0;
        _carry = 1;
        Current = -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        while (_starts == 0)
        {
            _block += 64;
            if (_block >= _text.Length) return false;
            var ws = BlockMask(_block);
            _starts = ~ws & ((ws << 1) | _carry);
            _carry = ws >> 63;
        }
        Current = _block + System.Numerics.BitOperations.TrailingZeroCount(_starts);
        _starts &= _starts - 1;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    readonly ulong BlockMask(int offset) =>
        _text.Length - offset >= 64
            ? AsciiWhitespace.Mask64(ref Unsafe.Add(ref MemoryMarshal.GetReference(_text), offset))
            : AsciiWhitespace.TailMask(_text[offset..]);
}
