using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace EcoAid.Wechat.Sandbox;

/// <summary>
/// Draws the sandbox's mini-program codes: a real PNG (8-bit greyscale, one IDAT) showing a 25 × 25 module pattern with
/// three corner squares, derived from the scene so the same scene always gives the same picture.
/// </summary>
internal static class SandboxPng
{
    private const int Modules = 25;
    private const int Quiet = 2;
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>A square code <paramref name="size"/> pixels wide for <paramref name="scene"/>.</summary>
    public static byte[] DrawCode(string scene, int size)
    {
        var modules = Pattern(scene);
        const int cells = Modules + 2 * Quiet;
        var pixels = new byte[size * size];
        for (var y = 0; y < size; y++)
        {
            var my = y * cells / size - Quiet;
            for (var x = 0; x < size; x++)
            {
                var mx = x * cells / size - Quiet;
                var dark = mx is >= 0 and < Modules && my is >= 0 and < Modules && modules[my, mx];
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

    private static bool[,] Pattern(string scene)
    {
        var modules = new bool[Modules, Modules];
        var bits = new List<bool>(Modules * Modules);
        for (var block = 0; bits.Count < Modules * Modules; block++)
        {
            foreach (var b in SHA256.HashData(Encoding.UTF8.GetBytes($"{block}:{scene}")))
            {
                for (var i = 0; i < 8; i++)
                {
                    bits.Add((b >> i & 1) == 1);
                }
            }
        }
        for (var y = 0; y < Modules; y++)
        {
            for (var x = 0; x < Modules; x++)
            {
                modules[y, x] = bits[y * Modules + x];
            }
        }
        Finder(modules, 0, 0);
        Finder(modules, Modules - 7, 0);
        Finder(modules, 0, Modules - 7);
        return modules;
    }

    // A 7 × 7 ring with a 3 × 3 centre, and a light separator around it.
    private static void Finder(bool[,] modules, int left, int top)
    {
        for (var y = -1; y <= 7; y++)
        {
            for (var x = -1; x <= 7; x++)
            {
                int mx = left + x, my = top + y;
                if (mx is < 0 or >= Modules || my is < 0 or >= Modules)
                {
                    continue;
                }
                var ring = x is 0 or 6 || y is 0 or 6;
                var centre = x is >= 2 and <= 4 && y is >= 2 and <= 4;
                modules[my, mx] = x is >= 0 and <= 6 && y is >= 0 and <= 6 && (ring || centre);
            }
        }
    }
}
