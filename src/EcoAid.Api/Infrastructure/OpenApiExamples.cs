using System.Text.Json.Nodes;
using EcoAid.Api.Features.Auth;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Invites;
using EcoAid.Api.Features.Me;
using EcoAid.Api.Features.Organisation;

namespace EcoAid.Api.Infrastructure;

/// <summary>Example bodies in the OpenAPI document, so a mini-program developer sees a realistic request at once.</summary>
public static class OpenApiExamples
{
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(AuthApi.LoginRequest)] = """{ "code": "0a3Bcd000Xyz1A2B3C400aBcDe0Bcd0X" }""",
        [typeof(MeApi.BindRequest)] = """{ "inviteCode": "7KQ2-MX9P-HD" }""",
        [typeof(MeApi.PhoneRequest)] = """{ "code": "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144" }""",
        [typeof(InvitesApi.CreateInviteRequest)] = """{ "role": "staff", "enterpriseId": 1 }""",
        [typeof(EnterprisesApi.EnterpriseRequest)] = """
            { "name": "江苏南方永磁科技有限公司", "creditCode": "91000000DM0000001M", "address": "邳州经济开发区", "industry": "磁性材料制造",
              "contactName": "王经理", "contactPhone": "13800000000", "liaisonMemberId": 4 }
            """,
        [typeof(SubmitDemandRequest)] = """
            { "category": "pollution_control", "title": "危废暂存间不规范", "description": "危险废物暂存间标识不全，台账记录不完整，请求现场指导。",
              "attachmentIds": [12], "expectedBy": "2026-04-30", "urgent": false }
            """,
        [typeof(AcceptDemandRequest)] = """
            { "objective": "规范危废暂存，完善台账", "measures": ["现场指导危废暂存间设置", "发放危废管理资料清单", "复核台账"],
              "ownerMemberId": 4, "dueInWorkingDays": 10 }
            """,
        [typeof(ProgressRequest)] = """{ "kind": "onsite", "text": "已到现场指导危废暂存间设置", "visibility": "public" }""",
        [typeof(ResolveRequest)] = """{ "summary": "暂存间已按标准整改，台账已建立", "attachmentIds": [15] }""",
        [typeof(ConfirmRequest)] = """{ "solved": true, "satisfaction": 5, "comment": "非常及时" }""",
        [typeof(ExtensionRequest)] = """{ "dueDate": "2026-05-15", "reason": "等待专家排期" }""",
    };

    public static void Apply(Microsoft.AspNetCore.OpenApi.OpenApiOptions options) =>
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
            {
                schema.Examples = [JsonNode.Parse(example)!];
            }
            return Task.CompletedTask;
        });
}
