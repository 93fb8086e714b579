using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>Field ids of the parquet.thrift structs this code reads or changes (parquet-format 2.x).</summary>
public static class ParquetThrift
{
    public static class FileMetaData
    {
        public const short Version = 1, Schema = 2, NumRows = 3, RowGroups = 4, KeyValueMetadata = 5, CreatedBy = 6, ColumnOrders = 7,
            EncryptionAlgorithm = 8, FooterSigningKeyMetadata = 9;
    }

    public static class SchemaElement
    {
        public const short Type = 1, TypeLength = 2, RepetitionType = 3, Name = 4, NumChildren = 5, ConvertedType = 6, LogicalType = 10;
    }

    public static class RowGroup
    {
        public const short Columns = 1, TotalByteSize = 2, NumRows = 3, SortingColumns = 4, FileOffset = 5, TotalCompressedSize = 6, Ordinal = 7;
    }

    public static class ColumnChunk
    {
        public const short FilePath = 1, FileOffset = 2, MetaData = 3, OffsetIndexOffset = 4, OffsetIndexLength = 5,
            ColumnIndexOffset = 6, ColumnIndexLength = 7, CryptoMetadata = 8, EncryptedColumnMetadata = 9;
    }

    public static class ColumnMetaData
    {
        public const short Type = 1, Encodings = 2, PathInSchema = 3, Codec = 4, NumValues = 5, TotalUncompressedSize = 6,
            TotalCompressedSize = 7, KeyValueMetadata = 8, DataPageOffset = 9, IndexPageOffset = 10, DictionaryPageOffset = 11,
            Statistics = 12, EncodingStats = 13, BloomFilterOffset = 14, BloomFilterLength = 15, SizeStatistics = 16, GeospatialStatistics = 17;
    }

    public static class PageHeader
    {
        public const short Type = 1, UncompressedPageSize = 2, CompressedPageSize = 3, Crc = 4, DataPageHeader = 5, IndexPageHeader = 6,
            DictionaryPageHeader = 7, DataPageHeaderV2 = 8;
    }

    public static class DataPageHeader
    {
        public const short NumValues = 1, Encoding = 2, DefinitionLevelEncoding = 3, RepetitionLevelEncoding = 4, Statistics = 5;
    }

    public static class DataPageHeaderV2
    {
        public const short NumValues = 1, NumNulls = 2, NumRows = 3, Encoding = 4, DefinitionLevelsByteLength = 5,
            RepetitionLevelsByteLength = 6, IsCompressed = 7, Statistics = 8;
    }

    public static class DictionaryPageHeader
    {
        public const short NumValues = 1, Encoding = 2, IsSorted = 3;
    }

    // enum values
    public const int PhysicalInt32 = 1, PhysicalByteArray = 6;
    public const int Required = 0, Optional = 1, Repeated = 2;
    public const int EncodingPlain = 0, EncodingPlainDictionary = 2, EncodingRle = 3, EncodingBitPacked = 4, EncodingRleDictionary = 8;
    public const int CodecUncompressed = 0, CodecSnappy = 1, CodecZstd = 6;
    public const int PageData = 0, PageIndex = 1, PageDictionary = 2, PageDataV2 = 3;
}

/// <summary>A Parquet file's footer: the FileMetaData tree, where it starts, and the file's length.</summary>
public sealed record ParquetFooter(TStruct Metadata, long MetadataOffset, int MetadataLength, long FileLength)
{
    public static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>
    /// Reads the footer of a plaintext Parquet file. An encrypted footer (<c>PARE</c>) is <see cref="NotSupportedException"/>;
    /// anything that is not Parquet is <see cref="InvalidDataException"/>.
    /// </summary>
    public static ParquetFooter Read(SafeFileHandle file)
    {
        var length = RandomAccess.GetLength(file);
        if (length < 12) throw new InvalidDataException("too short to be a Parquet file");
        Span<byte> tail = stackalloc byte[8];
        ReadExactly(file, tail, length - 8);
        if (tail[4..].SequenceEqual("PARE"u8)) throw new NotSupportedException("encrypted footer");
        if (!tail[4..].SequenceEqual(Magic)) throw new InvalidDataException("no PAR1 magic at the end");
        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (metaLength <= 0 || metaLength > length - 12) throw new InvalidDataException($"footer length {metaLength} does not fit the file");
        var offset = length - 8 - metaLength;
        var bytes = new byte[metaLength];
        ReadExactly(file, bytes, offset);
        return new ParquetFooter(ThriftCompact.Read(bytes), offset, metaLength, length);
    }

    public static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            var n = RandomAccess.Read(file, buffer, offset);
            if (n <= 0) throw new InvalidDataException("the file ends early");
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>The footer as it goes at the end of a file: metadata, its length, and the magic.</summary>
    public static byte[] Serialize(TStruct metadata)
    {
        var meta = ThriftCompact.Write(metadata);
        var result = new byte[meta.Length + 8];
        meta.CopyTo(result, 0);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(meta.Length), meta.Length);
        Magic.CopyTo(result.AsSpan(meta.Length + 4));
        return result;
    }
}
