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

        const string sql = """
            SELECT s.id AS session_id, u.id, u.display_name, u.city_id, u.branch_id, u.enterprise_id, u.member_id, u.department_id
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @Hash AND s.channel = @Channel AND s.revoked_at IS NULL AND s.expires_at > @Now;
            SELECT r.role FROM sessions s JOIN user_roles r ON r.user_id = s.user_id WHERE s.token_hash = @Hash;
            """;
        // An endpoint that shares the request's connection (RequestConnection.Shared) gets this one, still open: one
        // pooled connection and one reset per request instead of two.
        var shared = RequestConnection.IsSharedBy(Context);
        await using var own = shared ? null : await db.OpenConnectionAsync(Context.RequestAborted);
        var connection = own ?? await Context.RequestServices.GetRequiredService<RequestConnection>().OpenAsync(Context.RequestAborted);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql,
            new { Hash = Secrets.Hash(token), Channel = channel, Now = clock.GetUtcNow().UtcDateTime }, cancellationToken: Context.RequestAborted));
        var row = await results.ReadSingleOrDefaultAsync<SessionRow>();
        var roles = (await results.ReadAsync<string>()).ToHashSet();
        if (row is null)
        {
            return AuthenticateResult.Fail("Unknown, expired or revoked session.");
        }

        IReadOnlyList<long> branchIds = [];
        if (row.CityId is { } cityId && roles.Overlaps(Roles.CityLevel))
        {
            branchIds = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT id FROM party_branches WHERE city_id = @cityId", new { cityId }, cancellationToken: Context.RequestAborted))).ToList();
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
        long? EnterpriseId, long? MemberId, long? DepartmentId);
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
