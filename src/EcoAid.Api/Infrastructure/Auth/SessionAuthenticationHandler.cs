using System.Text.Encodings.Web;
using Dapper;
using EcoAid.Api.Infrastructure.Database;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against the hashed, revocable, expiring session rows. The
/// user row is read on every request, so a removed role or a revoked session takes effect at once on every instance.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    MySqlDataSource db, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        string channel;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
            channel = SessionChannels.App;
        }
        else if (header.Length == 0 && Request.Cookies.TryGetValue(SessionChannels.ConsoleCookie, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            // The desk console's session rides in an HttpOnly cookie; unsafe methods also need its CSRF header (ConsoleSetup).
            token = cookie;
            channel = SessionChannels.Console;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        if (token.Length is 0 or > 100)
        {
            return AuthenticateResult.Fail("Malformed token.");
        }

        // One statement, one round trip: the session, its user, the user's roles and (for a city-level user) the city's
        // branches. Read on every request, never cached, so a revoked session or a removed role counts at once.
        // Roles: at most a handful of short names, well inside GROUP_CONCAT's 1 KB (MySQL 8's default); the branches
        // through JSON_ARRAYAGG, which neither server cuts short (IdLists).
        const string sql = """
            SELECT s.id AS session_id, u.id, u.display_name, u.city_id, u.branch_id, u.enterprise_id, u.member_id, u.department_id,
                   (SELECT GROUP_CONCAT(r.role ORDER BY r.role SEPARATOR ',') FROM user_roles r WHERE r.user_id = u.id) AS roles,
                   CASE WHEN u.city_id IS NOT NULL AND EXISTS (SELECT 1 FROM user_roles cr WHERE cr.user_id = u.id AND cr.role IN @CityLevel)
                        THEN (SELECT JSON_ARRAYAGG(pb.id) FROM party_branches pb WHERE pb.city_id = u.city_id) END AS city_branch_ids
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @Hash AND s.channel = @Channel AND s.revoked_at IS NULL AND s.expires_at > @Now
            """;
        // An endpoint that shares the request's connection (RequestConnection.Shared) gets this one, still open: one
        // pooled connection and one reset per request instead of two.
        // A read-only endpoint's connection comes from the pool that skips the reset (RequestConnection.SharedReadOnly).
        var shared = RequestConnection.MarkerOf(Context);
        await using var own = shared is null ? await db.OpenConnectionAsync(Context.RequestAborted) : null;
        var connection = own ?? await Context.RequestServices.GetRequiredService<RequestConnection>().OpenAsync(Context.RequestAborted, shared!.ReadOnly);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(sql,
            new { Hash = Secrets.Hash(token), Channel = channel, Now = clock.GetUtcNow().UtcDateTime, Roles.CityLevel },
            cancellationToken: Context.RequestAborted));
        if (row is null)
        {
            return AuthenticateResult.Fail("Unknown, expired or revoked session.");
        }
        var roles = row.Roles is { Length: > 0 } list ? list.Split(',').ToHashSet() : [];

        IReadOnlyList<long> branchIds = [];
        if (row.CityId is not null && roles.Overlaps(Roles.CityLevel))
        {
            branchIds = IdLists.Parse(row.CityBranchIds);
        }
        else if (row.BranchId is { } branchId)
        {
            branchIds = [branchId];
        }

        var user = new CurrentUser
        {
            Id = row.Id, SessionId = row.SessionId, DisplayName = row.DisplayName, Roles = roles,
            CityId = row.CityId, BranchId = row.BranchId, EnterpriseId = row.EnterpriseId, MemberId = row.MemberId,
            DepartmentId = row.DepartmentId, BranchIds = branchIds,
        };
        Context.Items[CurrentUser.ItemKey] = user;
        if (channel == SessionChannels.Console)
        {
            Context.Items[SessionChannels.ConsoleTokenItem] = token;
        }
        return AuthenticateResult.Success(new AuthenticationTicket(user.ToPrincipal(SchemeName), SchemeName));
    }

    private sealed record SessionRow(long SessionId, long Id, string DisplayName, long? CityId, long? BranchId,
        long? EnterpriseId, long? MemberId, long? DepartmentId, string? Roles, string? CityBranchIds);
}

/// <summary>Where a session's token travels: a bearer header (the mini-program) or the console's cookie.</summary>
public static class SessionChannels
{
    public const string App = "app";
    public const string Console = "console";
    public const string ConsoleCookie = "ecoaid_console";
    /// <summary>Set on a request authenticated by the console cookie: the token, from which its CSRF token derives.</summary>
    public const string ConsoleTokenItem = "EcoAid.ConsoleToken";
}
