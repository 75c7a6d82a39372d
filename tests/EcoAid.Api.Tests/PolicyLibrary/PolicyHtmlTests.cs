using EcoAid.Api.Features.PolicyLibrary;

namespace EcoAid.Api.Tests.PolicyLibrary;

/// <summary>The allow-list sanitiser on its own: what must go, what must stay, and tricks that try to sneak past it.</summary>
public class PolicyHtmlTests
{
    private static string Clean(string html) => PolicyHtml.Sanitize(html).Html;

    [Theory]
    [InlineData("<p>正文</p>", "<p>正文</p>")]
    [InlineData("<h3>标题</h3><ul><li>一</li><li>二</li></ul>", "<h3>标题</h3><ul><li>一</li><li>二</li></ul>")]
    [InlineData("<P CLASS=\"x\" Style=\"color:red\">大写</P>", "<p>大写</p>")]
    [InlineData("<p>未闭合<strong>加粗", "<p>未闭合<strong>加粗</strong></p>")]
    [InlineData("<p>多余的</em>结束标签</p>", "<p>多余的结束标签</p>")]
    [InlineData("a < b &amp; c > d", "a &lt; b &amp; c &gt; d")]
    [InlineData("<table><tr><td colspan=\"2\" onclick=\"x\">格</td></tr></table>", "<table><tr><td colspan=\"2\">格</td></tr></table>")]
    [InlineData("<a href=\"https://www.mee.gov.cn/\" target=\"_blank\">链接</a>", "<a href=\"https://www.mee.gov.cn/\">链接</a>")]
    [InlineData("<a href=\"/api/policies/3\">站内</a>", "<a href=\"/api/policies/3\">站内</a>")]
    [InlineData("<img src=\"https://example.cn/a.png\" alt=\"图\" width=\"300\" height=\"10%\">", "<img src=\"https://example.cn/a.png\" alt=\"图\" width=\"300\">")]
    [InlineData("<br/>一<hr>二", "<br>一<hr>二")]
    [InlineData("<font color=red><center>去掉标签留下文字</center></font>", "去掉标签留下文字")]
    public void KeepsTheAllowedSubset(string input, string expected) => Assert.Equal(expected, Clean(input));

    [Theory]
    [InlineData("<script>alert(1)</script>安全", "安全")]
    [InlineData("<SCRIPT SRC=//evil.example/x.js></SCRIPT>安全", "安全")]
    [InlineData("<script>var s = '<p>not a tag</p></scr' + 'ipt>';</script>安全", "安全")]
    [InlineData("<script type=\"text/javascript\">alert(1)", "")]
    [InlineData("<style>body{display:none}</style>安全", "安全")]
    [InlineData("<iframe src=\"https://evil.example/\">里面的字</iframe>安全", "安全")]
    [InlineData("<iframe src=\"https://www.mee.gov.cn/\"></iframe>安全", "安全")]
    [InlineData("<object data=\"x.swf\"><param name=a value=b><embed src=x.swf></object>安全", "安全")]
    [InlineData("<svg><script>alert(1)</script><circle onload=alert(1)/></svg>安全", "安全")]
    [InlineData("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>安全", "安全")]
    [InlineData("<template><img src=x onerror=alert(1)></template>安全", "安全")]
    [InlineData("<!-- <script>alert(1)</script> -->安全", "安全")]
    // As in a browser, CDATA outside SVG is a bogus comment that ends at the first '>': the rest is harmless text.
    [InlineData("<![CDATA[<script>alert(1)</script>]]>安全", "alert(1)]]&gt;安全")]
    [InlineData("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>安全", "&quot;&gt;安全")]
    public void DropsScriptsAndForeignFramesWithTheirContent(string input, string expected)
    {
        var html = Clean(input);
        Assert.Equal(expected, html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("<p onclick=\"alert(1)\">x</p>")]
    [InlineData("<p ONMOUSEOVER='alert(1)'>x</p>")]
    [InlineData("<p/onclick=alert(1)>x</p>")]
    [InlineData("<img src=\"https://a.cn/x.png\" onerror=\"alert(1)\">")]
    [InlineData("<a href=\"https://a.cn/\" onfocus=alert(1) autofocus>x</a>")]
    [InlineData("<p style=\"background:url(javascript:alert(1))\">x</p>")]
    [InlineData("<body onload=alert(1)>x")]
    [InlineData("<details open ontoggle=alert(1)>x</details>")]
    public void RemovesEveryEventHandlerAndStyle(string input)
    {
        var html = Clean(input);
        Assert.DoesNotContain("on", html.Replace("javascript", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("JaVaScRiPt:alert(1)")]
    [InlineData(" javascript:alert(1)")]
    [InlineData("java\tscript:alert(1)")]
    [InlineData("java&#x09;script:alert(1)")]
    [InlineData("&#106;avascript:alert(1)")]
    [InlineData("&#106avascript:alert(1)")]
    [InlineData("&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)")]
    [InlineData("jav&#x61;script&colon;alert(1)")]
    [InlineData("vbscript:msgbox(1)")]
    [InlineData("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("relative/path")]
    public void LinksKeepTheirTextButLoseUnsafeTargets(string href)
    {
        var html = Clean($"<a href=\"{href}\">点这里</a>");
        Assert.Equal("点这里", html);
    }

    [Theory]
    [InlineData("http://example.cn/a.png")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:image/png;base64,AAAA")]
    [InlineData("x")]
    public void ImagesNeedAnHttpsOrSameSiteSource(string src) => Assert.Equal("", Clean($"<img src=\"{src}\">"));

    [Theory]
    [InlineData("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("&amp;lt;script&amp;gt;", "&amp;lt;script&amp;gt;")]
    [InlineData("&#60;img src=x onerror=alert(1)&#62;", "&lt;img src=x onerror=alert(1)&gt;")]
    [InlineData("&#x3C;script&#x3E;", "&lt;script&gt;")]
    [InlineData("&#0;&#xD800;&#99999999;", "\uFFFD\uFFFD\uFFFD")]
    [InlineData("&unknown; &amp", "&amp;unknown; &amp;")]
    [InlineData("<p title=\"&quot;&gt;&lt;script&gt;\">x</p>", "<p>x</p>")]
    [InlineData("<a href=\"https://a.cn/?q=&quot;><script>\">x</a>", "<a href=\"https://a.cn/?q=&quot;&gt;&lt;script&gt;\">x</a>")]
    public void EntitiesAreDecodedOnceAndEncodedAgain(string input, string expected) => Assert.Equal(expected, Clean(input));

    [Theory]
    [InlineData("<scr<script>ipt>alert(1)</script>")]
    [InlineData("<<script>script>alert(1)<</script>/script>")]
    [InlineData("<img src=\"https://a.cn/x.png\"<script>alert(1)</script>")]
    [InlineData("<a href='https://a.cn/' <script>x</a>")]
    [InlineData("<p title=\"unterminated>x</p><script>alert(1)</script>")]
    [InlineData("<div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div><div>深</div>")]
    public void MalformedMarkupNeverYieldsATag(string input)
    {
        var html = Clean(input);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<scr", html, StringComparison.OrdinalIgnoreCase);
        // Whatever came out is stable: sanitising it again changes nothing.
        Assert.Equal(html, Clean(html));
    }

    [Fact]
    public void PlainTextHasWordsNotMarkup()
    {
        var body = PolicyHtml.Sanitize("<h3>危险废物</h3><p>贮存<strong>设施</strong>要求&amp;台账</p><ul><li>标识</li><li>防渗</li></ul>");
        Assert.Equal("危险废物\n贮存设施要求&台账\n标识\n防渗", body.Text);
    }

    [Fact]
    public void SanitisedOutputSanitisesToItself()
    {
        const string messy = "<p onclick=x>一<b>二<i>三</b>四</p><a href=\"https://a.cn/?a=1&b=2\" title='\"引号\"'>五</a><img src=\"/x.png\" alt=\"&lt;图&gt;\">";
        var once = Clean(messy);
        Assert.Equal(once, Clean(once));
        Assert.Equal("<p>一<b>二<i>三</i></b>四</p><a href=\"https://a.cn/?a=1&amp;b=2\" title=\"&quot;引号&quot;\">五</a><img src=\"/x.png\" alt=\"&lt;图&gt;\">", once);
    }
}
