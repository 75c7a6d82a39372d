namespace EcoAid.Wechat.Tests.Apis;

public class WechatTextTests
{
    [Theory]
    [InlineData("", 20, "")]
    [InlineData("东门路灯不亮", 20, "东门路灯不亮")]
    [InlineData("一二三四五六七八九十一二三四五六七八九十", 20, "一二三四五六七八九十一二三四五六七八九十")]
    [InlineData("一二三四五六七八九十一二三四五六七八九十一", 20, "一二三四五六七八九十一二三四五六七八九…")]
    [InlineData("abcdef", 1, "…")]
    [InlineData("路灯 坏了很久", 4, "路灯…")]
    public void TruncateCutsToTheLimitWithAnEllipsis(string value, int max, string expected) =>
        Assert.Equal(expected, WechatText.Truncate(value, max));

    [Fact]
    public void TruncateNeverSplitsACharacter()
    {
        var value = "路👨‍👩‍👧👍🏽e\u0301路路";

        var cut = WechatText.Truncate(value, 5);

        Assert.Equal("路👨‍👩‍👧👍🏽e\u0301…", cut);
        Assert.Equal(5, WechatText.Length(cut));
    }

    [Fact]
    public void TruncateRefusesAZeroLimit() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WechatText.Truncate("x", 0));

    [Theory]
    [InlineData("东门\n路灯", "东门 路灯")]
    [InlineData("东门\r\n\r\n路灯\r", "东门 路灯")]
    [InlineData("\n东门\u2028路灯\u0085", "东门 路灯")]
    [InlineData("no breaks", "no breaks")]
    public void SingleLineJoinsLinesWithOneSpace(string value, string expected) =>
        Assert.Equal(expected, WechatText.SingleLine(value));

    [Fact]
    public void TemplateValueIsOneLineOfAtMost20()
    {
        var value = WechatText.ForTemplateValue("东门路灯\n坏了三天，附近企业夜间出行很不方便，请尽快处理");

        Assert.Equal("东门路灯 坏了三天，附近企业夜间出行很…", value);
        Assert.Equal(20, WechatText.Length(value));
    }
}
