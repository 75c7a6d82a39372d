using System.Net;
using System.Text.Json;

namespace EcoAid.Api.Tests.Infrastructure;

public static class ProblemAssert
{
    /// <summary>Checks status, content type and stable code of a ProblemDetails answer, and that its title is Chinese.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.Contains(json.GetProperty("title").GetString()!, c => c > 0x4E00);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal); // no stack trace
        return json;
    }
}

/// <summary>Status checks for answers that are not problems.</summary>
public static class HttpExpect
{
    /// <summary>Checks the status (showing the body when it differs) and returns the JSON body, or default when empty.</summary>
    public static async Task<JsonElement> JsonAsync(HttpStatusCode status, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }
}
