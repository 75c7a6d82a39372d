using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Organisation;

/// <summary>Branches, assisted enterprises, task-force members and departments.</summary>
public static class OrganisationSetup
{
    public static WebApplicationBuilder AddOrganisation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApiExample<EnterprisesApi.EnterpriseRequest>("""
            { "name": "江苏南方永磁科技有限公司", "creditCode": "91000000DM0000001M", "address": "邳州经济开发区", "industry": "磁性材料制造",
              "contactName": "王经理", "contactPhone": "13800000000", "liaisonMemberId": 4 }
            """);
        builder.Services.AddOpenApiExample<EnterpriseContactsApi.ContactRequest>("""
            { "name": "周强", "title": "生产副总经理", "phone": "13900000011", "primary": false }
            """);
        return builder;
    }

    public static IEndpointRouteBuilder MapOrganisation(this IEndpointRouteBuilder routes)
    {
        routes.MapBranches();
        routes.MapEnterprises();
        routes.MapEnterpriseContacts();
        routes.MapMembers();
        routes.MapDepartments();
        return routes;
    }
}
