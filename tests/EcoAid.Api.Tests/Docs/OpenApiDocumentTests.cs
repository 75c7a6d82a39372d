using System.Text.Json;
using System.Text.Json.Nodes;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Docs;

/// <summary>
/// The OpenAPI document the mini-program team reads is checked in as miniprogram-api-docs/openapi.json; this test fails
/// when the served document differs from it. After a deliberate API change, regenerate the file with
/// <c>ECOAID_UPDATE_OPENAPI=1 bash scripts/test.sh</c> (the test then writes it and fails once, to be noticed).
/// </summary>
public class OpenApiDocumentTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static string CheckedInPath
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcoAid.Wechat.sln")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."), "miniprogram-api-docs", "openapi.json");
        }
    }

    /// <summary>The document without what depends on where it is served from.</summary>
    internal static string Normalize(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("servers");
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    [Fact]
    public async Task ServedDocumentMatchesTheCheckedInOne()
    {
        await using var app = new EcoAidApp(fixture);
        var served = Normalize(await app.CreateClient().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));

        if (Environment.GetEnvironmentVariable("ECOAID_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CheckedInPath, served, TestContext.Current.CancellationToken);
            Assert.Fail("miniprogram-api-docs/openapi.json was rewritten; run the tests again without ECOAID_UPDATE_OPENAPI.");
        }
        Assert.True(File.Exists(CheckedInPath), "miniprogram-api-docs/openapi.json is missing; generate it with ECOAID_UPDATE_OPENAPI=1 bash scripts/test.sh.");
        var checkedIn = await File.ReadAllTextAsync(CheckedInPath, TestContext.Current.CancellationToken);
        Assert.True(checkedIn == served,
            "The served OpenAPI document differs from miniprogram-api-docs/openapi.json. If the API change is intended, " +
            "regenerate it with ECOAID_UPDATE_OPENAPI=1 bash scripts/test.sh and update the guides.");
    }

    [Fact]
    public async Task EveryApiOperationHasAChineseSummary()
    {
        await using var app = new EcoAidApp(fixture);
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var missing = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var (verb, operation) in item!.AsObject())
            {
                var summary = operation?["summary"]?.GetValue<string>();
                if (summary is null || !summary.Any(c => c >= 0x4E00))
                {
                    missing.Add($"{verb.ToUpperInvariant()} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "Operations without a Chinese summary:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task EveryApiOperationDeclaresItsAnswerAndItsProblems()
    {
        await using var app = new EcoAidApp(fixture);
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var wrong = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var (verb, operation) in item!.AsObject())
            {
                var name = $"{verb.ToUpperInvariant()} {path}";
                var responses = operation!["responses"]!.AsObject();
                var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
                if (success.Count == 0 || success.Any(r => r.Key != "204" && r.Value?["content"] is null))
                {
                    wrong.Add($"{name}: no 2xx answer with a schema");
                }
                foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
                {
                    if (response?["content"]?["application/problem+json"] is null)
                    {
                        wrong.Add($"{name}: {status} is not a problem");
                    }
                }
                if (!responses.ContainsKey("503"))
                {
                    wrong.Add($"{name}: no 503");
                }
                if (path.Contains('{', StringComparison.Ordinal) && !responses.ContainsKey("404"))
                {
                    wrong.Add($"{name}: a route value but no 404");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.True(document["paths"]!["/api/demands"]!["post"]!["responses"]!["201"]?["content"] is not null, "POST /api/demands answers 201.");

        // A nullable property is never required, and every problem schema carries its code.
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var (name, schema) in schemas)
        {
            var required = schema?["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var (property, definition) in schema?["properties"]?.AsObject() ?? [])
            {
                var nullable = definition?["type"] is JsonArray types && types.Any(t => t!.GetValue<string>() == "null")
                    || definition?["oneOf"] is JsonArray one && one.Any(o => o?["type"]?.GetValue<string>() == "null");
                Assert.False(nullable && required.Contains(property), $"{name}.{property} is nullable and required.");
            }
        }
        Assert.Contains("code", schemas["ProblemDetails"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.DoesNotContain("normalizedCreditCode", schemas["EnterpriseRequest"]!["properties"]!.AsObject().Select(p => p.Key));
    }
}
