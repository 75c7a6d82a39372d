using AngleSharp;
using AngleSharp.Dom;
using AngleSharp.Html;
using AngleSharp.Html.Parser;
using Ganss.Xss;
using System.Text;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>A document body after <see cref="PolicyHtml.Sanitize"/>: the HTML to store and serve, and its plain text for search.</summary>
public sealed record SanitizedBody(string Html, string Text);

/// <summary>
/// The one format policy bodies are stored in: a small HTML subset, the kind the mini-program's <c>editor</c> component
/// writes and its <c>rich-text</c> component shows. The parsing and the allow-list are the maintained HtmlSanitizer's
/// (a browser-grade HTML5 parser underneath, so markup is read the way a browser reads it); only the tags and attributes
/// named below come out. What stays in this file is what that library does not do for us, each for a reason given where
/// it stands: per-tag attribute rules and value checks, our narrower URL rule, unwrapping instead of keeping an element
/// with nothing safe left in it, not inventing elements the author never wrote, a depth cap, one encoding of text and
/// attribute values, and the plain text used for search.
/// </summary>
public static class PolicyHtml
{
    private static readonly string[] AllowedTags =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup",
        "small", "mark", "span", "div", "section", "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt", "dd", "a", "img",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    ];

    // The library's attribute allow-list is one list for every tag; ours differs by tag, so the union goes to the library
    // and the per-tag rule is applied afterwards (KeepOnly).
    private static readonly Dictionary<string, string[]> AttributesByTag = new()
    {
        ["a"] = ["href", "title"],
        ["img"] = ["src", "alt", "width", "height"],
        ["td"] = ["colspan", "rowspan"],
        ["th"] = ["colspan", "rowspan"],
        ["ol"] = ["start"],
    };

    // Whose text ends a line in the plain-text version.
    private static readonly HashSet<string> Block =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "tr",
    ];

    // The library either keeps the content of every removed element or of none. We unwrap unknown tags (their words stay),
    // but these go together with everything inside them: raw-text elements, foreign (svg/math) content, templates, plugins.
    private static readonly HashSet<string> DroppedWithContent =
    [
        "script", "style", "textarea", "title", "xmp", "iframe", "noscript", "noembed", "noframes", "plaintext",
        "svg", "math", "template", "object", "embed", "applet", "select", "head", "frameset", "frame", "audio", "video", "canvas", "map",
    ];

    private const int MaxDepth = 64;

    // Everything after it is parsed as the content of <body>, as the library itself does.
    private const string Prefix = "<!DOCTYPE html><html><body>";

    private static readonly HtmlSanitizer Sanitizer = Create();

    private static HtmlSanitizer Create()
    {
        var sanitizer = new HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(AllowedTags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(AttributesByTag.Values.SelectMany(a => a), StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto", "tel"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href", "src"], StringComparer.OrdinalIgnoreCase),
            AllowedCssProperties = new HashSet<string>(),
            AllowedClasses = new HashSet<string>(),
        })
        {
            KeepChildNodes = true,
            AllowDataAttributes = false,
        };
        sanitizer.RemovingTag += (_, e) =>
        {
            if (DroppedWithContent.Contains(e.Tag.LocalName))
            {
                e.Tag.Remove();
                e.Cancel = true;
            }
        };
        // The library accepts any relative URL and resolves nothing without a base; ours is narrower (SafeUrl).
        sanitizer.FilterUrl += (_, e) =>
            e.SanitizedUrl = e.SanitizedUrl is null ? null : SafeUrl(e.OriginalUrl, forImage: e.Tag.LocalName == "img");
        return sanitizer;
    }

    public static SanitizedBody Sanitize(string? input)
    {
        if (string.IsNullOrEmpty(input))
        {
            return new SanitizedBody("", "");
        }
        // Parsed here rather than by the library so that the parser keeps where each element stands in the source, which
        // tells the elements the author wrote from those the parser made up (see Tidy). Scripting on, as in the browsers
        // that will show the text: <noscript> content is then raw text, which is how the classic noscript mutation is read.
        var parser = new HtmlParser(new HtmlParserOptions { IsScripting = true, IsKeepingSourceReferences = true });
        var document = parser.ParseDocument(Prefix + input);
        var body = document.Body!;
        Sanitizer.SanitizeDom(document, body);
        Tidy(body);
        return new SanitizedBody(string.Concat(body.ChildNodes.Select(n => n.ToHtml(Formatter.Instance))), PlainText(body));
    }

    /// <summary>What the library leaves for us, walked without recursion so that deep input cannot exhaust the stack.</summary>
    private static void Tidy(IElement body)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<(INode Node, int Depth)>();
        foreach (var child in body.ChildNodes.Reverse())
        {
            stack.Push((child, 1));
        }
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (node is not IElement element)
            {
                continue;
            }
            var name = element.LocalName;
            var keep = KeepOnly(element)
                // An element the parser made up (an implied <tbody>, a formatting element re-opened after a misnested end
                // tag) has no place in the source, or the place of the one it copies: unwrapped, so the output holds only
                // tags the author wrote and sanitises to itself.
                // Made-up elements carry no source or the parser's empty position (0, inside the prefix).
                && element.SourceReference is { } source && source.Position.Position > 0 && seen.Add(source.Position.Position)
                && depth <= MaxDepth;
            if (!keep && name == "img")
            {
                element.Remove();
                continue;
            }
            var children = element.ChildNodes.ToArray();
            if (!keep)
            {
                element.Replace(children);
            }
            for (var k = children.Length - 1; k >= 0; k--)
            {
                stack.Push((children[k], keep ? depth + 1 : depth));
            }
        }
    }

    /// <summary>
    /// Applies the per-tag attribute rule and its value checks. False when the element must go: a link without a safe target
    /// becomes its text, an image without a safe source is nothing (the library would keep the bare element).
    /// </summary>
    private static bool KeepOnly(IElement element)
    {
        var allowed = AttributesByTag.GetValueOrDefault(element.LocalName, []);
        foreach (var attribute in element.Attributes.ToArray())
        {
            var ok = allowed.Contains(attribute.Name) && attribute.Name switch
            {
                "width" or "height" or "start" => attribute.Value is { Length: >= 1 and <= 4 } v && v.All(char.IsAsciiDigit),
                "colspan" or "rowspan" => attribute.Value is { Length: >= 1 and <= 2 } v && v.All(char.IsAsciiDigit),
                _ => true,
            };
            if (!ok)
            {
                element.RemoveAttribute(attribute.Name);
            }
        }
        return element.LocalName switch
        {
            "a" => element.HasAttribute("href"),
            "img" => element.HasAttribute("src"),
            _ => true,
        };
    }

    /// <summary>
    /// The URL if it is one we link to: http(s), mailto: and tel: for links, https for images, or a path on this site.
    /// Entities are already decoded by the parser; whitespace and control characters inside (which browsers drop, so
    /// <c>java&#9;script:</c> still runs there) make it unsafe.
    /// </summary>
    internal static string? SafeUrl(string? url, bool forImage)
    {
        if (url is null)
        {
            return null;
        }
        var trimmed = url.Trim();
        if (trimmed.Length is 0 or > 2000 || trimmed.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\'))
        {
            return null;
        }
        if (trimmed.StartsWith('/') && !trimmed.StartsWith("//", StringComparison.Ordinal))
        {
            return trimmed;
        }
        if (!forImage && trimmed.StartsWith('#'))
        {
            return trimmed;
        }
        string[] schemes = forImage ? ["https://"] : ["https://", "http://", "mailto:", "tel:"];
        return schemes.Any(scheme => trimmed.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && trimmed.Length > scheme.Length) ? trimmed : null;
    }

    /// <summary>The words of the sanitised body for the search index (the library only produces HTML): a block ends a line.</summary>
    private static string PlainText(IElement body)
    {
        var text = new StringBuilder();
        var stack = new Stack<(INode Node, bool Closing)>();
        foreach (var child in body.ChildNodes.Reverse())
        {
            stack.Push((child, false));
        }
        while (stack.Count > 0)
        {
            var (node, closing) = stack.Pop();
            if (node is IText t)
            {
                text.Append(t.Data);
                continue;
            }
            if (node is not IElement element)
            {
                continue;
            }
            if (Block.Contains(element.LocalName))
            {
                text.Append('\n');
            }
            if (closing)
            {
                continue;
            }
            stack.Push((element, true));
            foreach (var child in element.ChildNodes.Reverse())
            {
                stack.Push((child, false));
            }
        }
        return Squeeze(text);
    }

    private static string Squeeze(StringBuilder text)
    {
        var result = new StringBuilder(text.Length);
        var pendingNewline = false;
        var pendingSpace = false;
        foreach (var chunk in text.GetChunks())
        {
            foreach (var c in chunk.Span)
            {
                if (c == '\n')
                {
                    pendingNewline = result.Length > 0;
                    pendingSpace = false;
                }
                else if (char.IsWhiteSpace(c))
                {
                    pendingSpace = result.Length > 0;
                }
                else if (!char.IsControl(c))
                {
                    if (pendingNewline)
                    {
                        result.Append('\n');
                    }
                    else if (pendingSpace)
                    {
                        result.Append(' ');
                    }
                    pendingNewline = pendingSpace = false;
                    result.Append(c);
                }
            }
        }
        return result.ToString();
    }

    /// <summary>
    /// One encoding for text and attribute values: the five characters that can end a value or open markup are always
    /// escaped (the library's formatter leaves quotes in text and, in attribute values, depends on the version), and control
    /// characters other than tab and newline are dropped.
    /// </summary>
    private sealed class Formatter : HtmlMarkupFormatter
    {
        public static new readonly Formatter Instance = new();

        public override string Text(ICharacterData text) => Encode(text.Data);

        protected override string Attribute(IAttr attribute) => $"{attribute.Name}=\"{Encode(attribute.Value)}\"";

        private static string Encode(string value)
        {
            var html = new StringBuilder(value.Length + 8);
            foreach (var c in value)
            {
                switch (c)
                {
                    case '&': html.Append("&amp;"); break;
                    case '<': html.Append("&lt;"); break;
                    case '>': html.Append("&gt;"); break;
                    case '"': html.Append("&quot;"); break;
                    case '\'': html.Append("&#39;"); break;
                    case '\n' or '\t': html.Append(c); break;
                    default:
                        if (!char.IsControl(c))
                        {
                            html.Append(c);
                        }
                        break;
                }
            }
            return html.ToString();
        }
    }
}
