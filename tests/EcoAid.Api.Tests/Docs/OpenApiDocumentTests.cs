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
}
