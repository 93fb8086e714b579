using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>Something a byte-level Parquet path does not handle; the caller falls back to the general path.</summary>
public sealed class ParquetRawUnsupportedException(string reason) : NotSupportedException(reason);

/// <summary>
/// A growable byte buffer whose written bytes can be patched (length prefixes) and reused without allocation. Its
/// arrays come from <see cref="ArrayPool{T}.Shared"/>: page-sized buffers are rented again by the next file (or the
/// next job) instead of being allocated, and the pool trims what stays unused.
/// </summary>
public sealed class ByteBuffer(int capacity = 1 << 16) : IBufferWriter<byte>, IDisposable
{
    byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));

    public int Length { get; private set; }
    public Span<byte> Written => _array.AsSpan(0, Length);
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, Length);
    public void Clear() => Length = 0;

    /// <summary>Drops what was written after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)Length, nameof(length));
        Length = length;
    }

    public void Advance(int count) => Length += count;

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsSpan(Length);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsMemory(Length);
    }

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns where they start (for a prefix written later).</summary>
    public int Reserve(int count)
    {
        Ensure(count);
        var at = Length;
        Length += count;
        return at;
    }

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(_array.AsSpan(Reserve(4)), value);
    public void PatchInt32(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(_array.AsSpan(at), value);

    /// <summary>Makes room for <paramref name="more"/> bytes after the written ones (sized up front, a page's buffer never regrows).</summary>
    public void Ensure(int more)
    {
        if (_array.Length - Length >= more) return;
        var needed = (long)Length + more;
        if (needed > Array.MaxLength) throw new ParquetRawUnsupportedException("a page larger than 2 GB");
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _array.Length)));
        _array.AsSpan(0, Length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_array);
        _array = grown;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Length = 0;
    }
}

/// <summary>The RLE / bit-packed hybrid encoding of levels and dictionary indices (parquet-format Encodings.md).</summary>
public static class RleHybrid
{
    /// <summary>Decodes <paramref name="output"/>.Length values of <paramref name="bitWidth"/> bits; throws when the data runs out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per page: tiering would leave its loops unoptimised
    public static void Decode(ReadOnlySpan<byte> data, int bitWidth, Span<int> output)
    {
        if (bitWidth is < 0 or > 32) throw new InvalidDataException($"bit width {bitWidth}");
        var byteWidth = (bitWidth + 7) / 8;
        int pos = 0, n = 0;
        while (n < output.Length)
        {
            var header = Varint(data, ref pos);
            if ((header & 1) == 0)
            {
                var count = (int)Math.Min(header >> 1, (ulong)(output.Length - n));
                if (pos + byteWidth > data.Length) throw new InvalidDataException("RLE run ends early");
                var value = 0;
                for (var b = 0; b < byteWidth; b++) value |= data[pos + b] << (8 * b);
                pos += byteWidth;
                output.Slice(n, count).Fill(value);
                n += count;
            }
            else
            {
                var groups = (long)(header >> 1);
                var bytes = groups * bitWidth;
                if (bytes > data.Length - pos) throw new InvalidDataException("bit-packed run ends early");
                var run = data.Slice(pos, (int)bytes);
                var count = (int)Math.Min(groups * 8, output.Length - n);
                var mask = bitWidth == 32 ? uint.MaxValue : (1u << bitWidth) - 1;
                for (var i = 0; i < count; i++)
                {
                    var bit = (long)i * bitWidth;
                    ulong window = 0;
                    var first = (int)(bit >> 3);
                    for (var b = 0; b < 5 && first + b < run.Length; b++) window |= (ulong)run[first + b] << (8 * b);
                    output[n + i] = (int)((window >> (int)(bit & 7)) & mask);
                }
                pos += (int)bytes;
                n += count;
            }
        }
    }

    /// <summary>Encodes values that are all equal to <paramref name="value"/> (bit width 1) as one RLE run.</summary>
    public static void WriteRun(ByteBuffer output, int count, byte value)
    {
        var span = output.GetSpan(11);
        var n = 0;
        for (var v = (ulong)count << 1; ; v >>= 7)
        {
            if (v < 0x80) { span[n++] = (byte)v; break; }
            span[n++] = (byte)(v | 0x80);
        }
        span[n++] = value;
        output.Advance(n);
    }

    static ulong Varint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException("RLE header ends early");
            var b = data[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new InvalidDataException("RLE header varint too long");
    }
}

/// <summary>Page compression for the codecs the byte-level path handles: uncompressed, Snappy and zstd.</summary>
public sealed class PageCodec : IDisposable
{
    readonly int _codec;
    ZstdSharp.Compressor? _zstdCompressor;
    ZstdSharp.Decompressor? _zstdDecompressor;

    public PageCodec(int codec)
    {
        if (!IsSupported(codec)) throw new ParquetRawUnsupportedException($"compression codec {codec}");
        _codec = codec;
    }

    public static bool IsSupported(int codec) => codec is T.CodecUncompressed or T.CodecSnappy or T.CodecZstd;

    /// <summary>Decompresses into <paramref name="output"/>, which must be exactly the uncompressed size.</summary>
    public void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var n = _codec switch
        {
            T.CodecSnappy => Snappier.Snappy.Decompress(input, output),
            T.CodecZstd => (_zstdDecompressor ??= new ZstdSharp.Decompressor()).Unwrap(input, output),
            _ => Copy(input, output),
        };
        if (n != output.Length) throw new InvalidDataException($"page decompressed to {n} bytes, header says {output.Length}");
    }

    /// <summary>Compresses <paramref name="input"/> onto the end of <paramref name="output"/>; returns the compressed size.</summary>
    public int Compress(ReadOnlySpan<byte> input, ByteBuffer output)
    {
        switch (_codec)
        {
            case T.CodecSnappy:
            {
                var n = Snappier.Snappy.Compress(input, output.GetSpan(Snappier.Snappy.GetMaxCompressedLength(input.Length)));
                output.Advance(n);
                return n;
            }
            case T.CodecZstd:
            {
                // level 3, zstd's default (the level does not change what a reader gets back)
                var n = (_zstdCompressor ??= new ZstdSharp.Compressor(3)).Wrap(input, output.GetSpan(ZstdSharp.Compressor.GetCompressBound(input.Length)));
                output.Advance(n);
                return n;
            }
            default:
                output.Write(input);
                return input.Length;
        }
    }

    static int Copy(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length != output.Length) return input.Length;
        input.CopyTo(output);
        return input.Length;
    }

    public void Dispose()
    {
        _zstdCompressor?.Dispose();
        _zstdDecompressor?.Dispose();
    }
}

/// <summary>Data pages v1 as the byte-level path writes them: a new header, then the (compressed) levels and values.</summary>
static class PageWriter
{
    /// <summary>Compresses <c>state.Plain</c> (one page: levels then values) onto <paramref name="output"/> behind a v1 header; returns its sizes with the header.</summary>
    internal static (long Uncompressed, long Compressed) Write(RewriteBuffers state, PageCodec codec, int numValues, ByteBuffer output)
    {
        state.Compressed.Clear();
        codec.Compress(state.Plain.Written, state.Compressed);
        return Write(state.Compressed.Written, numValues, state.Plain.Length, output);
    }

    /// <summary>A page's compressed bytes behind a new v1 header (no statistics, no checksum); returns its sizes with the header.</summary>
    internal static (long Uncompressed, long Compressed) Write(ReadOnlySpan<byte> body, int numValues, int uncompressedSize, ByteBuffer output)
    {
        var before = output.Length;
        ThriftCompact.Write(PageHeaders.DataPageV1(numValues, uncompressedSize, body.Length), output);
        var header = output.Length - before;
        output.Write(body);
        return (header + uncompressedSize, header + body.Length);
    }
}

/// <summary>Page headers the byte-level path writes: PLAIN data pages v1 with RLE definition levels, no statistics.</summary>
public static class PageHeaders
{
    public static TStruct DataPageV1(int numValues, int uncompressedSize, int compressedSize) => new([
        new(T.PageHeader.Type, new TI32(T.PageData)),
        new(T.PageHeader.UncompressedPageSize, new TI32(uncompressedSize)),
        new(T.PageHeader.CompressedPageSize, new TI32(compressedSize)),
        new(T.PageHeader.DataPageHeader, new TStruct([
            new(T.DataPageHeader.NumValues, new TI32(numValues)),
            new(T.DataPageHeader.Encoding, new TI32(T.EncodingPlain)),
            new(T.DataPageHeader.DefinitionLevelEncoding, new TI32(T.EncodingRle)),
            new(T.DataPageHeader.RepetitionLevelEncoding, new TI32(T.EncodingRle)),
        ])),
    ]);

    /// <summary>Length-prefixed PLAIN BYTE_ARRAY values of a dictionary page: where each value starts and ends.</summary>
    public static (int[] Starts, int[] Lengths) PlainByteArrays(ReadOnlySpan<byte> data, int count)
    {
        var starts = new int[count];
        var lengths = new int[count];
        var pos = 0;
        for (var i = 0; i < count; i++)
        {
            if (pos + 4 > data.Length) throw new InvalidDataException("PLAIN byte array ends early");
            var len = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
            if (len < 0 || len > data.Length - pos - 4) throw new InvalidDataException("PLAIN byte array length out of range");
            starts[i] = pos + 4;
            lengths[i] = len;
            pos += 4 + len;
        }
        return (starts, lengths);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadLength(ReadOnlySpan<byte> data, int pos)
    {
        if (pos > data.Length - 4) throw new InvalidDataException("PLAIN byte array ends early");
        var len = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
        if (len < 0 || len > data.Length - pos - 4) throw new InvalidDataException("PLAIN byte array length out of range");
        return len;
    }
}
