using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace EcoAid.Wechat.Tests.Apis;

public class UnlimitedQrCodeTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CodeIsARealPngOfTheRequestedWidth()
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("e=42&k=aB3", Width: 300), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
        Assert.Equal("image/png", result.Value!.ContentType);
        var png = PngReader.Read(result.Value.Content);
        Assert.Equal(300, png.Width);
        Assert.Equal(300, png.Height);
        Assert.Equal(8, png.BitDepth);
        Assert.Equal(0, png.ColourType);
        Assert.Equal(300 * (1 + 300), png.Pixels.Length); // one filter byte, then the row
        Assert.Contains((byte)0, png.Pixels);
        Assert.Contains((byte)255, png.Pixels);
    }

    [Theory]
    [InlineData("e=42&k=aB3", 280)]
    [InlineData("policy=17", 430)]
    [InlineData("explainer=9&src=wall", 1280)]
    public async Task ADecoderReadsTheSceneBackFromTheCode(string scene, int width)
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest(scene, Width: width), Ct);

        Assert.Equal(scene, QrDecoder.Decode(result.Value!.Content));
    }

    [Fact]
    public async Task AnOfficialAccountCodeShownByShowQrCodeDecodesToItsTicketUrlAndSoToItsScene()
    {
        var created = await fixture.OfficialAccount.CreateQrCodeAsync("bind:decode-me", TimeSpan.FromMinutes(10), Ct);
        var image = fixture.Sandbox.QrImage(created.Value!.Ticket)!;

        var text = QrDecoder.Decode(image);

        Assert.Equal(created.Value.Url, text);
        Assert.Equal("bind:decode-me", fixture.Sandbox.QrCodes.Single(q => q.Url == text).Scene);
    }

    /// <summary>What a phone's scanner does: the greyscale pixels of the PNG, binarised, read as a QR code (ZXing).</summary>
    static class QrDecoder
    {
        public static string Decode(byte[] pngBytes)
        {
            var png = PngReader.Read(pngBytes);
            Assert.Equal((8, 0), (png.BitDepth, png.ColourType));
            var grey = new byte[png.Width * png.Height];
            for (var row = 0; row < png.Height; row++)
            {
                Assert.Equal(0, png.Pixels[row * (png.Width + 1)]); // filter None
                png.Pixels.AsSpan(row * (png.Width + 1) + 1, png.Width).CopyTo(grey.AsSpan(row * png.Width));
            }
            var source = new ZXing.RGBLuminanceSource(grey, png.Width, png.Height, ZXing.RGBLuminanceSource.BitmapFormat.Gray8);
            var result = new ZXing.QrCode.QRCodeReader().decode(new ZXing.BinaryBitmap(new ZXing.Common.HybridBinarizer(source)));
            Assert.NotNull(result);
            return result.Text;
        }
    }

    [Fact]
    public async Task DefaultWidthIs430AndTheSameSceneDrawsTheSamePicture()
    {
        var first = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("policy=17"), Ct);
        var again = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("policy=17"), Ct);
        var other = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("policy=18"), Ct);

        Assert.Equal(430, PngReader.Read(first.Value!.Content).Width);
        Assert.Equal(first.Value.Content, again.Value!.Content);
        Assert.NotEqual(first.Value.Content, other.Value!.Content);
    }

    [Theory]
    [InlineData("")]
    [InlineData("123456789012345678901234567890123")]
    public async Task EmptyOrOverlongSceneIs40169(string scene)
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest(scene), Ct);

        Assert.Equal(40169, result.Error!.ErrCode);
        Assert.Null(result.Value);
    }

    [Theory]
    [InlineData("a%20b")]
    [InlineData("企业=7")]
    [InlineData("a b")]
    public async Task SceneWithIllegalCharactersIs40129(string scene)
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest(scene), Ct);

        Assert.Equal(40129, result.Error!.ErrCode);
    }

    [Fact]
    public async Task SceneOfExactly32AllowedCharactersWorks()
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("!#$&'()*+,/:;=?@-._~AZaz09012345"), Ct);

        Assert.True(result.IsSuccess, result.Error?.ErrMsg);
    }

    [Fact]
    public async Task UnreleasedPageIs41030UnlessThePathIsNotChecked()
    {
        fixture.Sandbox.ReleasedPages = ["pages/index/index", "pages/explainer/explainer"];
        try
        {
            var released = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("x=1", "pages/explainer/explainer"), Ct);
            var unreleased = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("x=1", "pages/new/new"), Ct);
            var unchecked_ = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(
                new UnlimitedQrCodeRequest("x=1", "pages/new/new", CheckPath: false, EnvVersion: "develop"), Ct);
            var leadingSlash = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("x=1", "/pages/index/index"), Ct);

            Assert.True(released.IsSuccess);
            Assert.Equal(41030, unreleased.Error!.ErrCode);
            Assert.True(unchecked_.IsSuccess);
            Assert.Equal(41030, leadingSlash.Error!.ErrCode);
        }
        finally
        {
            fixture.Sandbox.ReleasedPages = null;
        }
    }

    [Fact]
    public async Task UnknownEnvVersionIs40097()
    {
        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("x=1", EnvVersion: "beta"), Ct);

        Assert.Equal(40097, result.Error!.ErrCode);
    }

    [Fact]
    public async Task CodeSurvivesAStaleTokenWithOneRefresh()
    {
        await fixture.Tokens.GetTokenAsync(SandboxFixture.MiniApp, Ct);
        var calls = fixture.Sandbox.CallCount("wxa/getwxacodeunlimit");
        fixture.Sandbox.InvalidateTokens(SandboxFixture.MiniApp.AppId);

        var result = await fixture.MiniProgram.GetUnlimitedQrCodeAsync(new UnlimitedQrCodeRequest("x=2"), Ct);

        Assert.True(result.IsSuccess);
        Assert.Equal(calls + 2, fixture.Sandbox.CallCount("wxa/getwxacodeunlimit"));
    }

    /// <summary>Just enough of a PNG decoder to check what the sandbox draws: chunk CRCs, IHDR, inflated IDAT.</summary>
    sealed record PngReader(int Width, int Height, byte BitDepth, byte ColourType, byte[] Pixels)
    {
        static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

        public static PngReader Read(byte[] png)
        {
            Assert.Equal(Signature, png[..8]);
            var at = 8;
            var chunks = new List<(string Type, byte[] Data)>();
            while (at < png.Length)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
                var type = Encoding.ASCII.GetString(png, at + 4, 4);
                var data = png.AsSpan(at + 8, length).ToArray();
                var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
                Assert.Equal(Crc32(png.AsSpan(at + 4, 4 + length)), crc);
                chunks.Add((type, data));
                at += 12 + length;
            }
            Assert.Equal("IHDR", chunks[0].Type);
            Assert.Equal("IEND", chunks[^1].Type);
            var header = chunks[0].Data;
            using var idat = new MemoryStream(chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray());
            using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
            using var pixels = new MemoryStream();
            inflate.CopyTo(pixels);
            return new PngReader(BinaryPrimitives.ReadInt32BigEndian(header), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)),
                header[8], header[9], pixels.ToArray());
        }

        // Bit by bit, unlike the sandbox's table, so the two do not share a mistake.
        static uint Crc32(ReadOnlySpan<byte> bytes)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in bytes)
            {
                crc ^= b;
                for (var i = 0; i < 8; i++)
                {
                    crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
                }
            }
            return ~crc;
        }
    }
}
