using System.Text;
using Microsoft.Win32.SafeHandles;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;
using SafetyNotebooks.Data.Toy;
using Xunit.Abstractions;

namespace SafetyNotebooks.Tests.Data;

public class ThriftCompactTests(ITestOutputHelper log)
{
    static Document Doc(int i) => new($"<urn:uuid:{i:D4}>", $"text {i} ünïcödé\nline",
        i % 4 == 0 ? null : new DocumentMetadata(i % 3 == 0 ? null : "CC-MAIN-2024-10", $"https://example.org/{i}", new DateTime(2024, 3, 1, 12, 0, i % 60, DateTimeKind.Utc), null, "en", 0.97, 42 + i, 2.5, i % 5 == 0 ? null : 3),
        i % 6, SafetyScoreSources.Classifier, i % 2 == 0 ? "none" : null, i % 3);

    public static IEnumerable<object[]> Files() =>
        from codec in new[] { ParquetCompression.Snappy, ParquetCompression.Zstd, ParquetCompression.None }
        from toolkit in new[] { true, false }
        select new object[] { codec, toolkit };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Footers_written_by_Parquet_Net_round_trip_byte_for_byte(ParquetCompression codec, bool toolkitColumns)
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "f.parquet");
        await Documents.WriteAsync(path, Enumerable.Range(0, 25).Select(Doc), new DocumentWriteOptions(RowGroupSize: 10, Compression: codec, IncludeToolkitColumns: toolkitColumns));
        using var file = File.OpenHandle(path);
        var footer = ParquetFooter.Read(file);
        var original = new byte[footer.MetadataLength];
        ParquetFooter.ReadExactly(file, original, footer.MetadataOffset);
        Assert.Equal(original, ThriftCompact.Write(footer.Metadata));
        Assert.Equal(3, footer.Metadata.List(ParquetThrift.FileMetaData.RowGroups)!.Items.Count);
        Assert.Equal(25L, footer.Metadata.I64(ParquetThrift.FileMetaData.NumRows));
        if (codec == ParquetCompression.Snappy && toolkitColumns) log.WriteLine(Dump(footer.Metadata, ""));

        // page headers round trip too
        var chunk = ((TStruct)footer.Metadata.List(ParquetThrift.FileMetaData.RowGroups)!.Items[0]).List(ParquetThrift.RowGroup.Columns)!.Items[1];
        var meta = ((TStruct)chunk).Struct(ParquetThrift.ColumnChunk.MetaData)!;
        var start = meta.I64(ParquetThrift.ColumnMetaData.DictionaryPageOffset) ?? meta.I64(ParquetThrift.ColumnMetaData.DataPageOffset)!.Value;
        var bytes = new byte[meta.I64(ParquetThrift.ColumnMetaData.TotalCompressedSize)!.Value];
        ParquetFooter.ReadExactly(file, bytes, start);
        var pos = 0;
        var header = ThriftCompact.Read(bytes, ref pos);
        Assert.Equal(bytes[..pos], ThriftCompact.Write(header));
        if (codec == ParquetCompression.Snappy && toolkitColumns) log.WriteLine(Dump(header, ""));
    }

    [Fact]
    public void Every_type_and_long_field_headers_and_unknown_fields_round_trip()
    {
        var s = new TStruct([
            new(1, new TBool(true)), new(2, new TBool(false)), new(3, new TByte(-5)), new(4, new TI16(-300)),
            new(5, new TI32(int.MinValue)), new(6, new TI64(long.MaxValue)), new(7, new TDouble(-1.5)), new(8, TBinary.Of("héllo")),
            new(9, new TList(TType.I32, [new TI32(1), new TI32(-2)])),
            new(10, new TList(TType.Binary, Enumerable.Range(0, 20).Select(i => (TValue)TBinary.Of($"s{i}")).ToList())),
            new(11, new TList(TType.True, [new TBool(true), new TBool(false)], IsSet: true)),
            new(12, new TMap(TType.Binary, TType.I64, [new(TBinary.Of("k"), new TI64(7))])),
            new(13, new TMap(TType.Stop, TType.Stop, [])),
            new(40, new TStruct([new(1, TStruct.Empty), new(100, new TUuid(new byte[16]))])),
            new(39, new TI32(1)),  // a smaller id after a larger one: long header
        ]);
        var bytes = ThriftCompact.Write(s);
        var back = ThriftCompact.Read(bytes);
        Assert.Equal(bytes, ThriftCompact.Write(back));
        Assert.Equal(Dump(s, ""), Dump(back, ""));
        Assert.Equal(-300, ((TI16)back.Get(4)!).Value);
        Assert.Equal("héllo", back.String(8));
        Assert.Throws<InvalidDataException>(() => ThriftCompact.Read(bytes.AsSpan(0, bytes.Length - 3)));
    }

    [Fact]
    public void With_and_Without_keep_fields_in_id_order()
    {
        var s = new TStruct([new(1, new TI32(1)), new(5, new TI32(5))]).With(3, 3).With(9, 9L).With(5, 50).Without(1);
        Assert.Equal(new short[] { 3, 5, 9 }, s.Fields.Select(f => f.Id));
        Assert.Equal(50, s.I32(5));
        Assert.Equal(9L, s.I64(9));
    }

    internal static string Dump(TValue v, string indent) => v switch
    {
        TStruct s => "{\n" + string.Concat(s.Fields.Select(f => $"{indent}  {f.Id}: {Dump(f.Value, indent + "  ")}\n")) + indent + "}",
        TList l => $"{(l.IsSet ? "set" : "list")}<{l.ElementType}>[" + string.Join(", ", l.Items.Select(i => Dump(i, indent + "  "))) + "]",
        TMap m => "map[" + string.Join(", ", m.Entries.Select(e => Dump(e.Key, indent) + " => " + Dump(e.Value, indent))) + "]",
        TBinary b => "\"" + Encoding.UTF8.GetString(b.Value) + "\"",
        TUuid u => Convert.ToHexString(u.Value),
        _ => v.ToString(),
    };
}
