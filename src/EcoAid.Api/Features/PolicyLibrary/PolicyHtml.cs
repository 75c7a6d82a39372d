using System.Globalization;
using System.Net;
using System.Text;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>A document body after <see cref="PolicyHtml.Sanitize"/>: the HTML to store and serve, and its plain text for search.</summary>
public sealed record SanitizedBody(string Html, string Text);

/// <summary>
/// The one format policy bodies are stored in: a small HTML subset, the kind the mini-program's <c>editor</c> component
/// writes and its <c>rich-text</c> component shows. Anything else is removed by an allow-list, never by a block-list:
/// only the tags and attributes named below come out, every text and attribute value is decoded and re-encoded, and
/// links and images keep only http(s)/mailto/tel or same-site URLs. So script, styles, event handlers, iframes and
/// <c>javascript:</c> URLs cannot survive, however they are spelled. The output sanitises to itself.
/// </summary>
public static class PolicyHtml
{
    private static readonly HashSet<string> Allowed =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup",
        "small", "mark", "span", "div", "section", "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt", "dd", "a", "img",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    ];

    private static readonly HashSet<string> Void = ["br", "hr", "img"];

    // Whose text ends a line in the plain-text version.
    private static readonly HashSet<string> Block =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "tr",
    ];

    // Elements whose content is raw text in HTML: everything up to their end tag is dropped with them.
    private static readonly HashSet<string> RawText = ["script", "style", "textarea", "title", "xmp", "iframe", "noscript", "noembed", "noframes"];

    // Elements dropped together with everything inside them (parsed normally, nesting counted).
    private static readonly HashSet<string> DroppedWithContent =
        ["svg", "math", "template", "object", "applet", "select", "head", "frameset", "audio", "video", "canvas", "map"];

    private const int MaxDepth = 64;

    public static SanitizedBody Sanitize(string? input)
    {
        var html = new StringBuilder((input?.Length ?? 0) + 16);
        var text = new StringBuilder(input?.Length ?? 0);
        if (string.IsNullOrEmpty(input))
        {
            return new SanitizedBody("", "");
        }
        var s = input.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var open = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            var lt = s.IndexOf('<', i);
            if (lt < 0)
            {
                AppendText(html, text, s.AsSpan(i));
                break;
            }
            if (lt > i)
            {
                AppendText(html, text, s.AsSpan(i, lt - i));
                i = lt;
            }
            if (!TryReadMarkup(s, ref i, out var tag))
            {
                // A '<' that starts no tag is just a character.
                AppendText(html, text, "<");
                i++;
                continue;
            }
            if (tag is null)
            {
                continue; // a comment, a doctype, a processing instruction
            }
            if (tag.IsEnd)
            {
                var at = open.LastIndexOf(tag.Name);
                if (at < 0)
                {
                    continue;
                }
                for (var k = open.Count - 1; k >= at; k--)
                {
                    html.Append("</").Append(open[k]).Append('>');
                    if (Block.Contains(open[k]))
                    {
                        text.Append('\n');
                    }
                }
                open.RemoveRange(at, open.Count - at);
                continue;
            }
            if (RawText.Contains(tag.Name) || tag.Name == "plaintext")
            {
                if (!tag.SelfClosing || tag.Name == "plaintext")
                {
                    i = tag.Name == "plaintext" ? s.Length : SkipRawText(s, i, tag.Name);
                }
                continue;
            }
            if (DroppedWithContent.Contains(tag.Name))
            {
                if (!tag.SelfClosing)
                {
                    i = SkipElement(s, i, tag.Name);
                }
                continue;
            }
            if (!Allowed.Contains(tag.Name) || open.Count >= MaxDepth)
            {
                continue; // unwrapped: the tag goes, its content stays
            }
            var attributes = SafeAttributes(tag);
            if (attributes is null)
            {
                continue; // a link without a safe target is plain text; an image without a safe source is nothing
            }
            html.Append('<').Append(tag.Name);
            foreach (var (name, value) in attributes)
            {
                html.Append(' ').Append(name).Append("=\"");
                Encode(html, value);
                html.Append('"');
            }
            html.Append('>');
            if (Void.Contains(tag.Name))
            {
                if (tag.Name != "img")
                {
                    text.Append('\n');
                }
                continue;
            }
            if (Block.Contains(tag.Name))
            {
                text.Append('\n');
            }
            open.Add(tag.Name);
        }
        for (var k = open.Count - 1; k >= 0; k--)
        {
            html.Append("</").Append(open[k]).Append('>');
        }
        return new SanitizedBody(html.ToString(), Squeeze(text));
    }

    private sealed record Tag(string Name, bool IsEnd, bool SelfClosing, List<(string Name, string Value)> Attributes);

    /// <summary>
    /// Reads the markup at <paramref name="i"/> (which is at a '&lt;'). False when it is no markup at all. True with a
    /// null tag for comments and declarations, which are dropped. Markup cut off by the end of the input is dropped too.
    /// </summary>
    private static bool TryReadMarkup(string s, ref int i, out Tag? tag)
    {
        tag = null;
        var start = i;
        if (At(s, start, "<!--"))
        {
            var end = s.IndexOf("-->", start + 4, StringComparison.Ordinal);
            i = end < 0 ? s.Length : end + 3;
            return true;
        }
        if (At(s, start, "<!") || At(s, start, "<?") || At(s, start, "</") && start + 2 < s.Length && !char.IsAsciiLetter(s[start + 2]))
        {
            var end = s.IndexOf('>', start + 2);
            i = end < 0 ? s.Length : end + 1;
            return true;
        }
        var isEnd = At(s, start, "</");
        var p = start + (isEnd ? 2 : 1);
        if (p >= s.Length || !char.IsAsciiLetter(s[p]))
        {
            return false;
        }
        var nameStart = p;
        while (p < s.Length && !IsSpace(s[p]) && s[p] is not ('/' or '>'))
        {
            p++;
        }
        var name = s[nameStart..p].ToLowerInvariant();
        var attributes = new List<(string, string)>();
        var selfClosing = false;
        while (true)
        {
            while (p < s.Length && (IsSpace(s[p]) || s[p] == '/'))
            {
                selfClosing = s[p] == '/';
                p++;
            }
            if (p >= s.Length)
            {
                i = s.Length; // an unfinished tag at the end: dropped, as a browser does
                return true;
            }
            if (s[p] == '>')
            {
                p++;
                break;
            }
            selfClosing = false;
            var attrStart = p;
            p++; // the first character belongs to the name, even if it is '='
            while (p < s.Length && !IsSpace(s[p]) && s[p] is not ('/' or '>' or '='))
            {
                p++;
            }
            var attrName = s[attrStart..p].ToLowerInvariant();
            var q = p;
            while (q < s.Length && IsSpace(s[q]))
            {
                q++;
            }
            var value = "";
            if (q < s.Length && s[q] == '=')
            {
                q++;
                while (q < s.Length && IsSpace(s[q]))
                {
                    q++;
                }
                if (q < s.Length && s[q] is '"' or '\'')
                {
                    var close = s.IndexOf(s[q], q + 1);
                    if (close < 0)
                    {
                        i = s.Length;
                        return true;
                    }
                    value = s[(q + 1)..close];
                    q = close + 1;
                }
                else
                {
                    var valueStart = q;
                    while (q < s.Length && !IsSpace(s[q]) && s[q] != '>')
                    {
                        q++;
                    }
                    value = s[valueStart..q];
                }
                p = q;
            }
            if (!attributes.Exists(a => a.Item1 == attrName))
            {
                attributes.Add((attrName, DecodeEntities(value)));
            }
        }
        i = p;
        tag = new Tag(name, isEnd, selfClosing, attributes);
        return true;
    }

    /// <summary>The position after the end tag of a raw-text element, or the end of the input if it never closes.</summary>
    private static int SkipRawText(string s, int from, string name)
    {
        var p = from;
        while (true)
        {
            var at = s.IndexOf("</", p, StringComparison.Ordinal);
            if (at < 0)
            {
                return s.Length;
            }
            var after = at + 2 + name.Length;
            if (after <= s.Length && string.Compare(s, at + 2, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
                && (after == s.Length || IsSpace(s[after]) || s[after] is '/' or '>'))
            {
                var end = s.IndexOf('>', after);
                return end < 0 ? s.Length : end + 1;
            }
            p = at + 2;
        }
    }

    /// <summary>The position after the matching end tag of <paramref name="name"/>, counting nested ones.</summary>
    private static int SkipElement(string s, int from, string name)
    {
        var depth = 1;
        var p = from;
        while (p < s.Length)
        {
            var lt = s.IndexOf('<', p);
            if (lt < 0)
            {
                return s.Length;
            }
            p = lt;
            if (!TryReadMarkup(s, ref p, out var tag))
            {
                p++;
                continue;
            }
            if (tag is null)
            {
                continue;
            }
            if (RawText.Contains(tag.Name) && !tag.IsEnd)
            {
                p = SkipRawText(s, p, tag.Name);
                continue;
            }
            if (tag.Name == name && !tag.SelfClosing)
            {
                depth += tag.IsEnd ? -1 : 1;
                if (depth == 0)
                {
                    return p;
                }
            }
        }
        return s.Length;
    }

    /// <summary>The attributes kept for a tag, or null when the tag itself must go.</summary>
    private static List<(string Name, string Value)>? SafeAttributes(Tag tag)
    {
        var kept = new List<(string, string)>();
        string? Get(string name) => tag.Attributes.Find(a => a.Name == name) is { Name: not null } a ? a.Value : null;
        switch (tag.Name)
        {
            case "a":
                if (SafeUrl(Get("href"), forImage: false) is not { } href)
                {
                    return null;
                }
                kept.Add(("href", href));
                if (Get("title") is { Length: > 0 } title)
                {
                    kept.Add(("title", Clean(title)));
                }
                break;
            case "img":
                if (SafeUrl(Get("src"), forImage: true) is not { } src)
                {
                    return null;
                }
                kept.Add(("src", src));
                if (Get("alt") is { Length: > 0 } alt)
                {
                    kept.Add(("alt", Clean(alt)));
                }
                foreach (var size in new[] { "width", "height" })
                {
                    if (Get(size) is { Length: >= 1 and <= 4 } value && value.All(char.IsAsciiDigit))
                    {
                        kept.Add((size, value));
                    }
                }
                break;
            case "td" or "th":
                foreach (var span in new[] { "colspan", "rowspan" })
                {
                    if (Get(span) is { Length: >= 1 and <= 2 } value && value.All(char.IsAsciiDigit))
                    {
                        kept.Add((span, value));
                    }
                }
                break;
            case "ol":
                if (Get("start") is { Length: >= 1 and <= 4 } startValue && startValue.All(char.IsAsciiDigit))
                {
                    kept.Add(("start", startValue));
                }
                break;
        }
        return kept;
    }

    /// <summary>
    /// The URL if it is one we link to: http(s), mailto: and tel: for links, https for images, or a path on this site.
    /// Entities are already decoded; whitespace and control characters inside (which browsers drop, so
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

    private static void AppendText(StringBuilder html, StringBuilder text, ReadOnlySpan<char> raw)
    {
        var decoded = DecodeEntities(raw.ToString());
        var clean = Clean(decoded);
        Encode(html, clean);
        text.Append(clean);
    }

    /// <summary>Drops control characters other than tab and newline (and the replacement of NUL).</summary>
    private static string Clean(string value) =>
        value.Any(c => char.IsControl(c) && c is not ('\n' or '\t'))
            ? new string(value.Where(c => !char.IsControl(c) || c is '\n' or '\t').ToArray())
            : value;

    private static void Encode(StringBuilder html, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': html.Append("&amp;"); break;
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;
                default: html.Append(c); break;
            }
        }
    }

    /// <summary>
    /// Decodes character references as a browser would, including numeric ones without their ';' (<c>&amp;#106avascript</c>)
    /// and the common named ones; code points that are not characters become U+FFFD.
    /// </summary>
    internal static string DecodeEntities(string value)
    {
        var amp = value.IndexOf('&');
        if (amp < 0)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        sb.Append(value, 0, amp);
        var i = amp;
        while (i < value.Length)
        {
            var c = value[i];
            if (c != '&')
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (i + 1 < value.Length && value[i + 1] == '#')
            {
                var p = i + 2;
                var hex = p < value.Length && value[p] is 'x' or 'X';
                if (hex)
                {
                    p++;
                }
                var digitsStart = p;
                while (p < value.Length && (hex ? char.IsAsciiHexDigit(value[p]) : char.IsAsciiDigit(value[p])))
                {
                    p++;
                }
                if (p > digitsStart)
                {
                    var digits = value[digitsStart..p];
                    var ok = long.TryParse(digits.Length > 8 ? "99999999" : digits, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out var code);
                    sb.Append(ok && code is > 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF) ? char.ConvertFromUtf32((int)code) : "\uFFFD");
                    i = p < value.Length && value[p] == ';' ? p + 1 : p;
                    continue;
                }
            }
            else
            {
                var p = i + 1;
                while (p < value.Length && p - i <= 32 && char.IsAsciiLetterOrDigit(value[p]))
                {
                    p++;
                }
                if (p > i + 1)
                {
                    var withSemicolon = p < value.Length && value[p] == ';';
                    var entity = value[i..(withSemicolon ? p + 1 : p)];
                    var decoded = withSemicolon ? WebUtility.HtmlDecode(entity) : LegacyEntity(value[(i + 1)..p]);
                    if (decoded is not null && decoded != entity)
                    {
                        sb.Append(decoded);
                        i += entity.Length;
                        continue;
                    }
                }
            }
            sb.Append('&');
            i++;
        }
        return sb.ToString();
    }

    // The named references browsers also accept without a ';'.
    private static string? LegacyEntity(string name) => name.ToLowerInvariant() switch
    {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "nbsp" => "\u00A0",
        "copy" => "©",
        "reg" => "®",
        _ => null,
    };

    private static string Squeeze(StringBuilder text)
    {
        var result = new StringBuilder(text.Length);
        var pendingNewline = false;
        var pendingSpace = false;
        foreach (var c in text.ToString())
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
            else
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
        return result.ToString();
    }

    private static bool At(string s, int i, string what) => string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';
}
