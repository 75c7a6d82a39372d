using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Demands;

/// <summary>Demands: intake, the workflow, export, and the content recheck round.</summary>
public static class DemandsSetup
{
    public static WebApplicationBuilder AddDemands(this WebApplicationBuilder builder)
    {
        builder.Services.AddDemandPolicies();
        builder.Services.AddTransient<IContentCheck, WechatContentCheck>();
        builder.Services.AddSingleton<DemandCounts>();
        builder.AddWorker<ContentRecheckWorker>();
        builder.Services.AddOptions<DemandOptions>().BindConfiguration("Demands")
            .Validate(o => o.DailyLimitPerUser > 0, "Demands:DailyLimitPerUser 必须为正。").ValidateOnStart();
        builder.Services.AddOpenApiExample<SubmitDemandRequest>("""
            { "category": "pollution_control", "title": "危废暂存间不规范", "description": "危险废物暂存间标识不全，台账记录不完整，请求现场指导。",
              "attachmentIds": [12], "expectedBy": "2026-04-30", "urgent": false }
            """);
        builder.Services.AddOpenApiExample<AcceptDemandRequest>("""
            { "objective": "规范危废暂存，完善台账", "measures": ["现场指导危废暂存间设置", "发放危废管理资料清单", "复核台账"],
              "ownerMemberId": 4, "dueInWorkingDays": 10 }
            """);
        builder.Services.AddOpenApiExample<ProgressRequest>("""{ "kind": "onsite", "text": "已到现场指导危废暂存间设置", "visibility": "public" }""");
        builder.Services.AddOpenApiExample<ResolveRequest>("""{ "summary": "暂存间已按标准整改，台账已建立", "attachmentIds": [15] }""");
        builder.Services.AddOpenApiExample<ConfirmRequest>("""{ "solved": true, "satisfaction": 5, "comment": "非常及时" }""");
        builder.Services.AddOpenApiExample<ExtensionRequest>("""{ "dueDate": "2026-05-15", "reason": "等待专家排期" }""");
        return builder;
    }

    public static IEndpointRouteBuilder MapDemands(this IEndpointRouteBuilder routes) => routes.MapDemandEndpoints();
}
