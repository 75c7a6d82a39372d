namespace EcoAid.Api.Infrastructure.Auth;

/// <summary>The roles as they appear on the wire and in <c>user_roles</c>.</summary>
public static class Roles
{
    public const string Staff = "staff";
    public const string Member = "member";
    public const string Commissioner = "commissioner";
    public const string Secretary = "secretary";
    public const string DepartmentLiaison = "department_liaison";
    public const string Admin = "admin";
    public const string CityViewer = "city_viewer";
    public const string CityAdmin = "city_admin";

    public static readonly IReadOnlyList<string> All = [Staff, Member, Commissioner, Secretary, DepartmentLiaison, Admin, CityViewer, CityAdmin];

    /// <summary>Roles that reach a whole city rather than one branch.</summary>
    public static readonly IReadOnlyList<string> CityLevel = [CityViewer, CityAdmin];

    /// <summary>Task-force roles tied to a member record.</summary>
    public static readonly IReadOnlyList<string> TaskForce = [Member, Commissioner, Secretary];
}

/// <summary>Named authorization policies. Every endpoint names one; the reach test enforces that.</summary>
public static class Policies
{
    /// <summary>Any logged-in user, bound or not.</summary>
    public const string User = "user";
    /// <summary>Anyone who works a branch's programme, or reads it from the city.</summary>
    public const string BranchReader = "branch-reader";
    /// <summary><see cref="BranchReader"/> plus enterprise staff (who reach only their own enterprise).</summary>
    public const string EnterpriseReader = "enterprise-reader";
    /// <summary>Branch administrators (their branch) and city administrators (every branch of their city).</summary>
    public const string OrgAdmin = "org-admin";
    /// <summary>An enterprise's own staff (their enterprise) and the administrators of its branch or city: who keeps its contacts.</summary>
    public const string EnterpriseContactEditor = "enterprise-contact-editor";
    /// <summary>City-level readers and administrators.</summary>
    public const string CityReader = "city-reader";
    /// <summary>City administrators.</summary>
    public const string CityAdmin = "city-admin";

    public static IServiceCollection AddEcoAidPolicies(this IServiceCollection services)
    {
        string[] branchReaders = [Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.DepartmentLiaison, Roles.Admin, Roles.CityViewer, Roles.CityAdmin];
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(User, p => p.RequireAuthenticatedUser())
            .AddPolicy(BranchReader, p => p.RequireRole(branchReaders))
            .AddPolicy(EnterpriseReader, p => p.RequireRole([.. branchReaders, Roles.Staff]))
            .AddPolicy(OrgAdmin, p => p.RequireRole(Roles.Admin, Roles.CityAdmin))
            .AddPolicy(EnterpriseContactEditor, p => p.RequireRole(Roles.Staff, Roles.Admin, Roles.CityAdmin))
            .AddPolicy(CityReader, p => p.RequireRole(Roles.CityViewer, Roles.CityAdmin))
            .AddPolicy(CityAdmin, p => p.RequireRole(Roles.CityAdmin));
        return services;
    }
}
