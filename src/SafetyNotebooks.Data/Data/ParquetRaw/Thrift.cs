using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>Type codes of the Thrift compact protocol (as they appear on the wire).</summary>
public enum TType : byte
{
    Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12, Uuid = 13,
}

/// <summary>
/// A generic Thrift value: the footer and page headers of a Parquet file are read into this tree without a schema, so
/// fields this code does not know (newer format versions) survive a read → write round trip unchanged.
/// </summary>
public abstract record TValue
{
    /// <summary>The compact-protocol type code of this value when it is a struct field.</summary>
    public abstract TType Type { get; }
}

public sealed record TBool(bool Value) : TValue { public override TType Type => Value ? TType.True : TType.False; }
public sealed record TByte(sbyte Value) : TValue { public override TType Type => TType.Byte; }
public sealed record TI16(short Value) : TValue { public override TType Type => TType.I16; }
public sealed record TI32(int Value) : TValue { public override TType Type => TType.I32; }
public sealed record TI64(long Value) : TValue { public override TType Type => TType.I64; }
public sealed record TDouble(double Value) : TValue { public override TType Type => TType.Double; }
public sealed record TUuid(byte[] Value) : TValue { public override TType Type => TType.Uuid; }

/// <summary>Binary or string (Thrift does not tell them apart on the wire).</summary>
public sealed record TBinary(byte[] Value) : TValue
{
    public override TType Type => TType.Binary;
    public static TBinary Of(string s) => new(Encoding.UTF8.GetBytes(s));
    public string Text => Encoding.UTF8.GetString(Value);
}

/// <summary>A list (or set): the element type is kept so that an empty list writes back as it was read.</summary>
public sealed record TList(TType ElementType, IReadOnlyList<TValue> Items, bool IsSet = false) : TValue
{
    public override TType Type => IsSet ? TType.Set : TType.List;
}

public sealed record TMap(TType KeyType, TType ValueType, IReadOnlyList<KeyValuePair<TValue, TValue>> Entries) : TValue
{
    public override TType Type => TType.Map;
}

public readonly record struct TField(short Id, TValue Value);

/// <summary>A struct: its fields in wire order. Updates return new structs (fields are inserted in id order).</summary>
public sealed record TStruct(IReadOnlyList<TField> Fields) : TValue
{
    public static readonly TStruct Empty = new([]);
    public override TType Type => TType.Struct;

    public TValue? Get(short id)
    {
        foreach (var f in Fields)
            if (f.Id == id) return f.Value;
        return null;
    }

    public bool Has(short id) => Get(id) is not null;

    public int? I32(short id) => Get(id) switch { TI32 v => v.Value, null => null, var v => throw Mistyped(id, v) };
    public long? I64(short id) => Get(id) switch { TI64 v => v.Value, null => null, var v => throw Mistyped(id, v) };
    public bool? Bool(short id) => Get(id) switch { TBool v => v.Value, null => null, var v => throw Mistyped(id, v) };
    public string? String(short id) => Get(id) switch { TBinary v => v.Text, null => null, var v => throw Mistyped(id, v) };
    public TStruct? Struct(short id) => Get(id) switch { TStruct v => v, null => null, var v => throw Mistyped(id, v) };
    public TList? List(short id) => Get(id) switch { TList v => v, null => null, var v => throw Mistyped(id, v) };

    /// <summary>This struct with field <paramref name="id"/> set (replaced in place, or inserted before the first larger id).</summary>
    public TStruct With(short id, TValue value)
    {
        var list = Fields.ToList();
        var i = list.FindIndex(f => f.Id == id);
        if (i >= 0) list[i] = new TField(id, value);
        else
        {
            var at = list.FindIndex(f => f.Id > id);
            list.Insert(at < 0 ? list.Count : at, new TField(id, value));
        }
        return new TStruct(list);
    }

    public TStruct With(short id, int value) => With(id, new TI32(value));
    public TStruct With(short id, long value) => With(id, new TI64(value));

    /// <summary>This struct without the given fields (absent ones are ignored).</summary>
    public TStruct Without(params short[] ids) => new(Fields.Where(f => !ids.Contains(f.Id)).ToList());

    static InvalidDataException Mistyped(short id, TValue v) => new($"Thrift field {id} has type {v.Type}, expected another");
}

/// <summary>
/// The Thrift compact protocol, generically: <see cref="Read"/> parses a struct into a <see cref="TStruct"/> tree and
/// <see cref="Write(TStruct)"/> serialises one. Writing is canonical (short field headers whenever the id delta is
/// 1–15, minimal varints), which is what Thrift writers emit, so an unmodified tree writes back byte for byte.
/// </summary>
public static class ThriftCompact
{
    const int MaxDepth = 64;

    /// <summary>Reads one struct starting at <paramref name="pos"/>, advancing it past the struct's stop byte.</summary>
    public static TStruct Read(ReadOnlySpan<byte> data, ref int pos)
    {
        var r = new Reader(data, pos);
        var s = r.ReadStruct(0);
        pos = r.Pos;
        return s;
    }

    public static TStruct Read(ReadOnlySpan<byte> data)
    {
        var pos = 0;
        return Read(data, ref pos);
    }

    public static byte[] Write(TStruct value)
    {
        var w = new ArrayBufferWriter<byte>(256);
        Write(value, w);
        return w.WrittenSpan.ToArray();
    }

    public static void Write(TStruct value, IBufferWriter<byte> output) => WriteStruct(value, output);

    ref struct Reader(ReadOnlySpan<byte> data, int pos)
    {
        readonly ReadOnlySpan<byte> _data = data;
        public int Pos = pos;

        byte Byte() => Pos < _data.Length ? _data[Pos++] : throw Truncated();

        ReadOnlySpan<byte> Bytes(long n)
        {
            if (n < 0 || n > _data.Length - Pos) throw Truncated();
            var s = _data.Slice(Pos, (int)n);
            Pos += (int)n;
            return s;
        }

        ulong Varint()
        {
            ulong v = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            throw new InvalidDataException("Thrift varint longer than 10 bytes");
        }

        long ZigZag() { var v = Varint(); return (long)(v >> 1) ^ -(long)(v & 1); }

        public TStruct ReadStruct(int depth)
        {
            if (depth > MaxDepth) throw new InvalidDataException("Thrift struct nested too deeply");
            var fields = new List<TField>();
            short last = 0;
            while (true)
            {
                var header = Byte();
                var type = (TType)(header & 0x0F);
                if (type == TType.Stop) return new TStruct(fields);
                var delta = header >> 4;
                var id = delta != 0 ? (short)(last + delta) : checked((short)ZigZag());
                var value = type is TType.True or TType.False ? new TBool(type == TType.True) : ReadValue(type, depth);
                fields.Add(new TField(id, value));
                last = id;
            }
        }

        TValue ReadValue(TType type, int depth) => type switch
        {
            TType.Byte => new TByte((sbyte)Byte()),
            TType.I16 => new TI16(checked((short)ZigZag())),
            TType.I32 => new TI32(checked((int)ZigZag())),
            TType.I64 => new TI64(ZigZag()),
            TType.Double => new TDouble(BinaryPrimitives.ReadDoubleLittleEndian(Bytes(8))),
            TType.Binary => new TBinary(Bytes((long)Varint()).ToArray()),
            TType.Uuid => new TUuid(Bytes(16).ToArray()),
            TType.List or TType.Set => ReadList(type == TType.Set, depth),
            TType.Map => ReadMap(depth),
            TType.Struct => ReadStruct(depth + 1),
            // booleans inside collections are one byte: 1 true, anything else false
            TType.True or TType.False => new TBool(Byte() == 1),
            _ => throw new InvalidDataException($"unknown Thrift compact type {(int)type}"),
        };

        TList ReadList(bool set, int depth)
        {
            var header = Byte();
            var element = (TType)(header & 0x0F);
            long size = header >> 4;
            if (size == 15) size = (long)Varint();
            if (size > _data.Length - Pos) throw Truncated(); // every element takes at least one byte
            var items = new List<TValue>((int)size);
            for (var i = 0; i < size; i++) items.Add(ReadValue(element, depth + 1));
            return new TList(element, items, set);
        }

        TMap ReadMap(int depth)
        {
            var size = (long)Varint();
            if (size == 0) return new TMap(TType.Stop, TType.Stop, []);
            if (size > _data.Length - Pos) throw Truncated();
            var types = Byte();
            var (k, v) = ((TType)(types >> 4), (TType)(types & 0x0F));
            var entries = new List<KeyValuePair<TValue, TValue>>((int)size);
            for (var i = 0; i < size; i++) entries.Add(new(ReadValue(k, depth + 1), ReadValue(v, depth + 1)));
            return new TMap(k, v, entries);
        }

        static InvalidDataException Truncated() => new("Thrift data ends inside a value");
    }

    static void Byte(IBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    static void Varint(IBufferWriter<byte> w, ulong v)
    {
        var span = w.GetSpan(10);
        var n = 0;
        for (; v >= 0x80; v >>= 7) span[n++] = (byte)(v | 0x80);
        span[n++] = (byte)v;
        w.Advance(n);
    }

    static void ZigZag(IBufferWriter<byte> w, long v) => Varint(w, (ulong)((v << 1) ^ (v >> 63)));

    static void WriteStruct(TStruct s, IBufferWriter<byte> w)
    {
        short last = 0;
        foreach (var (id, value) in s.Fields)
        {
            var type = (byte)value.Type;
            var delta = id - last;
            if (delta is > 0 and <= 15) Byte(w, (byte)(delta << 4 | type));
            else
            {
                Byte(w, type);
                ZigZag(w, id);
            }
            if (value is not TBool) WriteValue(value, w);
            last = id;
        }
        Byte(w, 0);
    }

    static void WriteValue(TValue value, IBufferWriter<byte> w)
    {
        switch (value)
        {
            case TBool b: Byte(w, b.Value ? (byte)1 : (byte)2); break; // inside a collection
            case TByte b: Byte(w, (byte)b.Value); break;
            case TI16 i: ZigZag(w, i.Value); break;
            case TI32 i: ZigZag(w, i.Value); break;
            case TI64 i: ZigZag(w, i.Value); break;
            case TDouble d: BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), d.Value); w.Advance(8); break;
            case TBinary b: Varint(w, (ulong)b.Value.Length); w.Write(b.Value); break;
            case TUuid u: w.Write(u.Value); break;
            case TList l:
                if (l.Items.Count < 15) Byte(w, (byte)(l.Items.Count << 4 | (byte)l.ElementType));
                else
                {
                    Byte(w, (byte)(0xF0 | (byte)l.ElementType));
                    Varint(w, (ulong)l.Items.Count);
                }
                foreach (var item in l.Items) WriteValue(item, w);
                break;
            case TMap m:
                Varint(w, (ulong)m.Entries.Count);
                if (m.Entries.Count > 0) Byte(w, (byte)((byte)m.KeyType << 4 | (byte)m.ValueType));
                foreach (var (k, v) in m.Entries)
                {
                    WriteValue(k, w);
                    WriteValue(v, w);
                }
                break;
            case TStruct s: WriteStruct(s, w); break;
            default: throw new ArgumentException($"unknown Thrift value {value.GetType().Name}");
        }
    }
}
