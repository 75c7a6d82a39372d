namespace EcoAid.Api.Features.Supervision;

public static class SupervisionSetup
{
    /// <summary>The 监督帮扶 list import: its limits (<c>Supervision:*</c>).</summary>
    public static WebApplicationBuilder AddSupervision(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SupervisionOptions>().BindConfiguration("Supervision")
            .Validate(o => o.MaxUploadBytes is > 0 and <= 64 * 1024 * 1024, "Supervision:MaxUploadBytes must be between 1 byte and 64 MB.")
            .Validate(o => o.MaxUnpackedBytes >= o.MaxUploadBytes, "Supervision:MaxUnpackedBytes must be at least Supervision:MaxUploadBytes.")
            .Validate(o => o.MaxRows is >= 1 and <= 9999, "Supervision:MaxRows must be between 1 and 9999.")
            .ValidateOnStart();
        return builder;
    }
}
