using System.Text;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// Reads protobuf wire format field by field over a span, without building messages: the
/// simulated proxy needs a handful of fields of each response and resource, and a full parse
/// copied every resource's bytes into a new array (16% of the tool's CPU in a shared
/// VirtualService change to 20,000 proxies, and more in the kernel zeroing pages for that garbage).
/// Wire types (protobuf encoding): 0 varint, 1 fixed64, 2 length-delimited, 3/4 group start/end, 5 fixed32.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _fieldNumber;
    private int _wireType;

    public WireReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    public readonly int FieldNumber => _fieldNumber;

    public readonly int WireType => _wireType;

    public readonly bool IsLengthDelimited => _wireType == 2;

    /// <summary>Moves to the next field; false at the end of the data.</summary>
    public bool Next()
    {
        if (_position >= _data.Length)
        {
            return false;
        }
        var tag = ReadVarint();
        _fieldNumber = (int)(tag >> 3);
        _wireType = (int)(tag & 7);
        if (_fieldNumber == 0)
        {
            throw new InvalidDataException($"protobuf field number 0 at byte {_position}");
        }
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("truncated protobuf varint");
            }
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    /// <summary>The current length-delimited field's bytes, as (offset, length) within the data.</summary>
    public (int Offset, int Length) ReadRange()
    {
        if (_wireType != 2)
        {
            throw new InvalidDataException($"protobuf field {_fieldNumber} has wire type {_wireType}, not length-delimited");
        }
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new InvalidDataException($"protobuf field {_fieldNumber} claims {length} bytes, {_data.Length - _position} left");
        }
        var offset = _position;
        _position += (int)length;
        return (offset, (int)length);
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var (offset, length) = ReadRange();
        return _data.Slice(offset, length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>The last string given as field <paramref name="fieldNumber"/> of a message (a later one replaces an earlier one, as a parser reads them); null if none is.</summary>
    public static string? LastString(ReadOnlySpan<byte> message, int fieldNumber)
    {
        var reader = new WireReader(message);
        string? value = null;
        while (reader.Next())
        {
            if (reader.FieldNumber == fieldNumber && reader.IsLengthDelimited)
            {
                value = reader.ReadString();
            }
            else
            {
                reader.Skip();
            }
        }
        return value;
    }

    /// <summary>Skips the current field, whatever its wire type (groups included).</summary>
    public void Skip()
    {
        switch (_wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Advance(8);
                break;
            case 2:
                ReadRange();
                break;
            case 3:
                var group = _fieldNumber;
                while (true)
                {
                    if (!Next())
                    {
                        throw new InvalidDataException($"protobuf group {group} not closed");
                    }
                    if (_wireType == 4)
                    {
                        if (_fieldNumber != group)
                        {
                            throw new InvalidDataException($"protobuf group {group} closed as {_fieldNumber}");
                        }
                        break;
                    }
                    Skip();
                }
                break;
            case 5:
                Advance(4);
                break;
            default:
                throw new InvalidDataException($"protobuf wire type {_wireType} (field {_fieldNumber}) cannot be skipped here");
        }
    }

    private void Advance(int count)
    {
        if (_data.Length - _position < count)
        {
            throw new InvalidDataException($"truncated protobuf field {_fieldNumber}");
        }
        _position += count;
    }
}
