using System.Text;

namespace EcoAid.Wechat.Tests.Apis;

public class AnswerParsingTests
{
    static readonly byte[] PngBytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
    static readonly byte[] JsonError = Encoding.UTF8.GetBytes("""{"errcode":40169,"errmsg":"invalid length for scene rid: 1-2-3"}""");

    [Theory]
    [InlineData("image/jpeg")]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public void ImageBytesComeBackAsAnImage(string? mediaType)
    {
        var result = WechatApiClient.ParseAnswer<WechatImage>("wxa/getwxacodeunlimit", PngBytes, mediaType);

        Assert.Equal(PngBytes, result.Value!.Content);
        Assert.Equal(mediaType ?? "application/octet-stream", result.Value.ContentType);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public void JsonErrorFromAnImageEndpointIsAFailure(string? mediaType)
    {
        var result = WechatApiClient.ParseAnswer<WechatImage>("wxa/getwxacodeunlimit", JsonError, mediaType);

        Assert.Equal(40169, result.Error!.ErrCode);
        Assert.Equal("1-2-3", result.Error.Rid);
    }

    [Fact]
    public void EmptyImageIsUnavailable() =>
        Assert.Throws<WechatUnavailableException>(() => WechatApiClient.ParseAnswer<WechatImage>("wxa/getwxacodeunlimit", [], "image/jpeg"));

    [Fact]
    public void JsonCallsIgnoreAnImageContentType()
    {
        var result = WechatApiClient.ParseAnswer<MessageSent>("cgi-bin/message/subscribe/send",
            Encoding.UTF8.GetBytes("""{"errcode":0,"errmsg":"ok","msgid":1988810812324364291}"""), "image/jpeg");

        Assert.Equal(1988810812324364291, result.Value!.Msgid);
    }

    [Fact]
    public void MsgIdAboveTwoToThe53IsReadExactly()
    {
        var result = WechatApiClient.Parse<MessageSent>("cgi-bin/message/subscribe/send",
            """{"errcode":0,"errmsg":"ok","msgid":9007199254740993}"""u8);

        Assert.Equal(9007199254740993L, result.Value!.Msgid);
    }

    [Theory]
    [InlineData("86")]
    [InlineData("\"86\"")]
    public void CountryCodeIsReadFromANumberOrAString(string countryCode)
    {
        var json = $$$"""{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":{{{countryCode}}},"watermark":{"timestamp":1637744274,"appid":"wx1"}}""";

        var result = WechatApiClient.Parse<PhoneInfo>("wxa/business/getuserphonenumber", Encoding.UTF8.GetBytes(json));

        Assert.Equal("86", result.Value!.CountryCode);
        Assert.Equal("wx1", result.Value.Watermark!.Appid);
    }
}
