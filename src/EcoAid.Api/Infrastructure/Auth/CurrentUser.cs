using System.Security.Claims;

namespace EcoAid.Api.Infrastructure.Auth;

/// <summary>
/// The logged-in user of this request, as loaded by <see cref="SessionAuthenticationHandler"/> from the session row.
/// <see cref="BranchIds"/> is the reach of every branch-scoped query: the user's branch, or every branch of their city
/// for city roles, or nothing.
/// </summary>
public sealed class CurrentUser
{
    public long Id { get; init; }
    public long SessionId { get; init; }
    public string DisplayName { get; init; } = "";
    public IReadOnlySet<string> Roles { get; init; } = new HashSet<string>();
    public long? CityId { get; init; }
    public long? BranchId { get; init; }
    public long? EnterpriseId { get; init; }
    public long? MemberId { get; init; }
    public long? DepartmentId { get; init; }
    public IReadOnlyList<long> BranchIds { get; init; } = [];

    public bool IsInRole(string role) => Roles.Contains(role);

    public bool IsAnyOf(params ReadOnlySpan<string> roles)
    {
        foreach (var role in roles)
        {
            if (Roles.Contains(role))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Admins see phone numbers in full; everyone else sees them masked.</summary>
    public bool SeesFullPhoneNumbers => IsAnyOf(Auth.Roles.Admin, Auth.Roles.CityAdmin);

    public bool Reaches(long branchId) => BranchIds.Contains(branchId);

    /// <summary>Only enterprise staff with no other role are limited to their own enterprise.</summary>
    public bool IsOnlyStaff => Roles.Count > 0 && Roles.All(r => r == Auth.Roles.Staff);

    /// <summary>Lets handlers take a <see cref="CurrentUser"/> parameter.</summary>
    public static ValueTask<CurrentUser?> BindAsync(HttpContext http) => ValueTask.FromResult<CurrentUser?>(From(http));

    internal const string ItemKey = "EcoAid.CurrentUser";

    public static CurrentUser From(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out var user) && user is CurrentUser current
            ? current
            : throw new InvalidOperationException("No authenticated user on this request; the endpoint must require authorization.");

    internal ClaimsPrincipal ToPrincipal(string scheme)
    {
        var identity = new ClaimsIdentity(scheme, ClaimTypes.NameIdentifier, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var role in Roles)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }
        return new ClaimsPrincipal(identity);
    }
}
