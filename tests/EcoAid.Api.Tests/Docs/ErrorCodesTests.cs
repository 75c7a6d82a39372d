using System.Text.RegularExpressions;

namespace EcoAid.Api.Tests.Docs;

/// <summary>
/// Every problem <c>code</c> the API can answer is listed in miniprogram-api-docs/errors.md, and errors.md lists no code the
/// API cannot answer. The source is read as text: a code is a string literal shaped like <c>area.reason</c> (the project
/// writes them inline where it raises them: <c>Problems.Conflict("demand.stale", …)</c>, <c>Problems.Create(status,
/// "…", …)</c>, a refusal record, a tuple in a switch), or a one-word code where codes are passed (the status defaults in
/// <c>Problems.ForStatus</c>, the 500 of the exception handler, the rate limiter's 429).
/// </summary>
public partial class ErrorCodesTests
{
    /// <summary>Dotted literals that are not problem codes, each with what it is.</summary>
    private static readonly Dictionary<string, string> NotCodes = new()
    {
        ["ecoaid.migrations"] = "the name of the migration runner's database lock",
        ["r.figures"] = "a SQL column in the reports query",
        ["d.id"] = "a SQL column in the agenda's rules (the order of a rule's lines)",
    };

    [GeneratedRegex("\"([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)+)\"")]
    private static partial Regex DottedLiteral();

    // A one-word code where a code is passed: Problems.Create(status, "x", …), a switch arm => ("x", "…") or
    // => (500, "x", …), and WriteTooManyAsync(http, retryAfter, "x", …).
    [GeneratedRegex("(?:Problems\\.(?:Create\\([^,()]+,\\s*|Conflict\\(|BadRequest\\()|=>\\s*\\((?:\\d{3},\\s*)?|WriteTooManyAsync\\([^;]*?,\\s*)\"([a-z]+(?:_[a-z]+)*)\",\\s*\"")]
    private static partial Regex WordCode();

    // CalendarApi reads its xlsx with the supervision list's reader and renames that reader's refusals.
    [GeneratedRegex("\\.Replace\\(\"([a-z_]+)\\.\", \"([a-z_]+)\\.\"")]
    private static partial Regex PrefixRename();

    // errors.md: the first cell of each table row holds one or more codes in backticks.
    [GeneratedRegex("^\\|\\s*(?<cell>[^|]+)\\|", RegexOptions.Multiline)]
    private static partial Regex FirstCell();

    [GeneratedRegex("`([a-z][a-z0-9_.]*)`")]
    private static partial Regex Backticked();

    private static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcoAid.Wechat.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
        }
    }

    private static IEnumerable<string> SourceFiles()
    {
        var api = Path.Combine(Root, "src", "EcoAid.Api");
        var sep = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(api, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal));
    }

    internal static SortedSet<string> CodesInSource()
    {
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        var renames = new List<(string From, string To, string Reader)>();
        var byFile = new Dictionary<string, List<string>>();
        foreach (var file in SourceFiles())
        {
            var text = File.ReadAllText(file);
            var found = DottedLiteral().Matches(text).Select(m => m.Groups[1].Value).Where(c => !NotCodes.ContainsKey(c))
                .Concat(WordCode().Matches(text).Select(m => m.Groups[1].Value)).ToList();
            byFile[Path.GetFileName(file)] = found;
            codes.UnionWith(found);
            foreach (Match m in PrefixRename().Matches(text))
            {
                renames.Add((m.Groups[1].Value, m.Groups[2].Value, "ListFile.cs"));
            }
        }
        foreach (var (from, to, reader) in renames)
        {
            codes.UnionWith(byFile[reader].Where(c => c.StartsWith(from + ".", StringComparison.Ordinal)).Select(c => to + c[from.Length..]));
        }
        return codes;
    }

    internal static SortedSet<string> CodesInErrorsMd()
    {
        var text = File.ReadAllText(Path.Combine(Root, "miniprogram-api-docs", "errors.md"));
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match row in FirstCell().Matches(text))
        {
            codes.UnionWith(Backticked().Matches(row.Groups["cell"].Value).Select(m => m.Groups[1].Value));
        }
        return codes;
    }

    [Fact]
    public void TheScanFindsTheCodesItShould()
    {
        // Guards the scan itself: one code of each way the source raises them.
        var source = CodesInSource();
        Assert.Subset(source, new SortedSet<string>
        {
            "demand.stale", "validation.failed", "not_found", "rate_limited", "internal_error", "supervision.not_xlsx",
            "calendar.not_xlsx", "qrcode.page_invalid", "idempotency.key_reused", "request.too_large",
        });
        Assert.True(CodesInErrorsMd().Count > 40, "errors.md was not read as a table of codes.");
    }

    [Fact]
    public void EveryCodeTheSourceCanAnswerIsInErrorsMd()
    {
        var missing = CodesInSource().Except(CodesInErrorsMd()).ToList();
        Assert.True(missing.Count == 0, "Codes the API can answer that errors.md does not list:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void ErrorsMdListsNoCodeTheSourceCannotAnswer()
    {
        var stale = CodesInErrorsMd().Except(CodesInSource()).ToList();
        Assert.True(stale.Count == 0, "Codes in errors.md that nothing in the source answers:\n" + string.Join("\n", stale));
    }
}
