using Microsoft.Extensions.Options;

namespace EcoAid.Api.Features.PolicyLibrary;

/// <summary>Registers and maps the policy library, its QR explainers and the material lists.</summary>
public static class PolicySetup
{
    public static WebApplicationBuilder AddPolicyLibrary(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration("Policies")
            .Validate(o => o.VersionCheckInterval > TimeSpan.Zero && o.VersionCheckInterval <= TimeSpan.FromMinutes(1),
                "Policies:VersionCheckInterval 须大于 0 且不超过 1 分钟（发布后其他实例最迟在两倍这段时间后看到）。")
            .Validate(o => o.CounterFlushInterval > TimeSpan.Zero, "Policies:CounterFlushInterval 必须为正。")
            .Validate(o => o.CacheMaxBytes >= 1024 * 1024, "Policies:CacheMaxBytes 至少 1 MB。")
            .Validate(o => o.SearchConcurrency is >= 1 and <= 64, "Policies:SearchConcurrency 须在 1 到 64 之间。")
            .Validate(o => o.SearchQueueTimeout > TimeSpan.Zero, "Policies:SearchQueueTimeout 必须为正。")
            .Validate(o => o.SearchResultsMaxIds >= 10_000, "Policies:SearchResultsMaxIds 至少 10000。")
            .Validate(o => o.SearchItemsMax >= 1_000, "Policies:SearchItemsMax 至少 1000。")
            .ValidateOnStart();
        builder.Services.AddOptions<ExplainerOptions>().BindConfiguration("Explainers")
            .Validate(o => ExplainerOptions.Check(o) is null, "Explainers 配置有误：Page 必填（不以 / 开头、不带查询参数），EnvVersion 为 release/trial/develop，Width 在 280–1280 之间。")
            .ValidateOnStart();
        builder.Services.AddSingleton<PolicyLibraryVersion>();
        builder.Services.AddSingleton<PolicyCache>();
        builder.Services.AddSingleton<SearchGate>();
        builder.Services.AddSingleton<PolicySearchResults>();
        builder.Services.AddSingleton<PolicyListItems>();
        builder.Services.AddSingleton<PolicySynonyms>();
        builder.Services.AddSingleton<EcoAid.Api.Infrastructure.Database.IStartupDataStep, PolicySearchCatchUp>();
        builder.Services.AddSingleton<PolicyCounters>();
        builder.Services.AddHostedService<PolicyCounterFlusher>();
        builder.Services.AddMaterialPolicies();
        BenchApi.Register(builder);
        return builder;
    }

    public static WebApplication MapPolicyLibrary(this WebApplication app)
    {
        app.MapPublicPolicies();
        app.MapPolicyAdmin();
        app.MapExplainerCodes();
        app.MapMaterials();
        app.MapBenchIfEnabled();
        return app;
    }
}
