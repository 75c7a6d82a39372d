using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EcoAid.Wechat.Sandbox;

public static partial class SandboxEndpoints
{
    // The business APIs. Each goes through Handle, so call counts and injected faults work per endpoint path.
    private static void MapBusinessApis(RouteGroupBuilder group, WechatSandbox sandbox)
    {
        group.MapPost("/wxa/business/getuserphonenumber", (HttpRequest request) =>
            Handle(sandbox, "wxa/business/getuserphonenumber", request.HttpContext, async () =>
                sandbox.GetUserPhoneNumber(request.Query["access_token"], await ReadJsonAsync(request.HttpContext))));

        group.MapPost("/cgi-bin/message/subscribe/send", (HttpRequest request) =>
            Handle(sandbox, "cgi-bin/message/subscribe/send", request.HttpContext, async () =>
                sandbox.SendSubscribeMessage(request.Query["access_token"], await ReadJsonAsync(request.HttpContext))));

        group.MapPost("/cgi-bin/message/template/send", (HttpRequest request) =>
            Handle(sandbox, "cgi-bin/message/template/send", request.HttpContext, async () =>
                sandbox.SendTemplateMessage(request.Query["access_token"], await ReadJsonAsync(request.HttpContext))));

        group.MapPost("/wxa/getwxacodeunlimit", async (HttpRequest request) =>
        {
            // Handle only knows JSON answers: let it run faults and counting, and swap in the image when there is one.
            byte[]? png = null;
            var answer = await Handle(sandbox, "wxa/getwxacodeunlimit", request.HttpContext, async () =>
            {
                var (image, error) = sandbox.GetUnlimitedCode(request.Query["access_token"], await ReadJsonAsync(request.HttpContext));
                png = image;
                return error ?? SandboxAnswer.Ok(new Dictionary<string, object?>(), includeErrCode: true);
            });
            return png is null ? answer : Results.File(png, "image/png");
        });

        group.MapPost("/wxa/msg_sec_check", (HttpRequest request) =>
            Handle(sandbox, "wxa/msg_sec_check", request.HttpContext, async () =>
                sandbox.MsgSecCheck(request.Query["access_token"], await ReadJsonAsync(request.HttpContext))));

        group.MapPost("/cgi-bin/qrcode/create", (HttpRequest request) =>
            Handle(sandbox, "cgi-bin/qrcode/create", request.HttpContext, async () =>
                sandbox.CreateQrCode(request.Query["access_token"], await ReadJsonAsync(request.HttpContext))));

        group.MapGet("/cgi-bin/user/info", (HttpRequest request) =>
            Handle(sandbox, "cgi-bin/user/info", request.HttpContext, () =>
                sandbox.GetUserInfo(request.Query["access_token"], request.Query["openid"])));
    }
}
