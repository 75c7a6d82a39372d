using Microsoft.Extensions.Options;

namespace EcoAid.Api.Features.Attachments;

/// <summary>Uploaded files (photos, documents) and where they are kept.</summary>
public static class AttachmentsSetup
{
    public static WebApplicationBuilder AddAttachments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AttachmentOptions>().BindConfiguration("Attachments")
            .Validate(o => o.MaxBytes > 0, "Attachments:MaxBytes 必须为正。").ValidateOnStart();
        builder.Services.AddSingleton<IAttachmentStore>(sp =>
        {
            var configured = sp.GetRequiredService<IOptions<AttachmentOptions>>().Value.Directory;
            var root = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(builder.Environment.ContentRootPath, "App_Data", "attachments")
                : Path.GetFullPath(configured);
            return new FileSystemAttachmentStore(root);
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapAttachments(this IEndpointRouteBuilder routes) => routes.MapAttachmentEndpoints();
}
