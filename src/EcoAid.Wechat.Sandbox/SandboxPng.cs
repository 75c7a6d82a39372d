using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using QRCoder;

namespace EcoAid.Wechat.Sandbox;

/// <summary>
/// Draws the sandbox's codes: a real QR code (QRCoder computes the modules, error correction M, with its quiet zone) of
/// the given text, rasterised as a PNG (8-bit greyscale, one IDAT) of exactly the width asked for, as WeChat answers.
/// A phone, or a decoder, reads the text back.
/// </summary>
internal static class SandboxPng
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>A square QR code <paramref name="size"/> pixels wide that reads <paramref name="text"/>.</summary>
    public static byte[] DrawCode(string text, int size)
    {
        using var generator = new QRCodeGenerator();
        using var code = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var modules = code.ModuleMatrix;
        var cells = modules.Count;
        // Whole pixels per module, centred; what is left over widens the white quiet zone.
        var scale = Math.Max(1, size / cells);
        var offset = (size - scale * cells) / 2;
        var pixels = new byte[size * size];
        for (var y = 0; y < size; y++)
        {
            var my = y - offset < 0 ? -1 : (y - offset) / scale;
            for (var x = 0; x < size; x++)
            {
                var mx = x - offset < 0 ? -1 : (x - offset) / scale;
                var dark = my is >= 0 && my < cells && mx is >= 0 && mx < cells && modules[my][mx];
                pixels[y * size + x] = dark ? (byte)0 : (byte)255;
            }
        }
        return EncodeGray(size, size, pixels);
    }

    /// <summary>Encodes 8-bit greyscale pixels, row by row, as a PNG.</summary>
    public static byte[] EncodeGray(int width, int height, ReadOnlySpan<byte> pixels)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // colour type: greyscale
        // compression, filter and interlace methods stay 0

        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var row = 0; row < height; row++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(pixels.Slice(row * width, width));
            }
        }

        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", raw.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        // The CRC covers the chunk type and data, not the length.
        var crc = UpdateCrc(UpdateCrc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        png.Write(word);
    }

    // CRC-32 as PNG defines it (ISO 3309, reflected polynomial 0xEDB88320), one table lookup per byte.
    private static uint UpdateCrc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
