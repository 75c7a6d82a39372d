using EcoAid.Api.Features.Organisation;

namespace EcoAid.Api.Tests.Organisation;

public class UsccTests
{
    [Theory]
    [InlineData("91350100M000100Y43")] // GB 32100's worked example
    [InlineData("914403001922038216")]
    [InlineData("91440300708461136T")]
    [InlineData("91330100716105852F")]
    [InlineData("91110108558521630L")]
    [InlineData("91110000710925462X")]
    [InlineData("91000000000000000K")]
    [InlineData("91000000MA0000007C")]
    [InlineData("92000000MA00000079")]
    public void PublishedCodesPass(string code) => Assert.Null(Uscc.Check(Uscc.Normalize(code)));

    [Theory]
    [InlineData("91310115MA1H8R7C6D", "校验位")] // the "example" from a blog post: its check character is wrong
    [InlineData("91350100M000100Y4Z", "无效字符")] // the invalid variant of the standard's example: Z is not in the alphabet
    [InlineData("91350100M000100Y42", "校验位")]
    [InlineData("91350100M000100Y4", "18 位")]
    [InlineData("91350100M000100Y433", "18 位")]
    [InlineData("91350100M0001O0Y43", "无效字符")] // letter O
    [InlineData("9135A100M000100Y43", "行政区划")]
    public void BrokenCodesFailWithAReason(string code, string reason) => Assert.Contains(reason, Uscc.Check(Uscc.Normalize(code)));

    [Fact]
    public void FullWidthLowerCaseAndSeparatorsAreNormalized()
    {
        var normalized = Uscc.Normalize("　９１４４０３００７０８４６１１３６ｔ ");
        Assert.Equal("91440300708461136T", normalized);
        Assert.Null(Uscc.Check(normalized));
        Assert.Equal("91440300708461136T", Uscc.Normalize("9144-0300-7084-6113-6t"));
    }

    [Fact]
    public void CheckCharacterCanBeAnyOfTheAlphabetIncludingLetters()
    {
        Assert.Equal('T', Uscc.CheckCharacter("91440300708461136"));
        Assert.Equal('3', Uscc.CheckCharacter("91350100M000100Y4"));
        Assert.Equal('0', Uscc.CheckCharacter(FindBodyWithCheck('0')));
    }

    // The check digit 31 wraps to '0': find a 17-character body that needs it, proving the (31 - S mod 31) mod 31 step.
    private static string FindBodyWithCheck(char wanted)
    {
        for (var i = 0; i < 1000; i++)
        {
            var body = $"91000000MA{i:0000000}";
            if (Uscc.CheckCharacter(body) == wanted)
            {
                return body;
            }
        }
        throw new InvalidOperationException("no body found");
    }
}
