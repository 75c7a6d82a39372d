namespace EcoAid.Api.Infrastructure.Database;

/// <summary>
/// The dev run's demo data (<c>Demo:Seed=true</c>, Development only; the console's demo walk loads it too): steps that run once the
/// schema is in place, in exactly the order <see cref="DemoSeedSetup.AddDemoSeed"/> lists them, before any other
/// <see cref="IStartupDataStep"/>.
/// </summary>
public sealed class DemoSeed(IReadOnlyList<Type> steps)
{
    public IReadOnlyList<Type> Steps { get; } = steps;

    public sealed class Builder
    {
        internal List<Type> Steps { get; } = [];

        /// <summary>The next step; it may rely on everything the steps before it loaded.</summary>
        public Builder Then<TStep>() where TStep : class, IStartupDataStep
        {
            Steps.Add(typeof(TStep));
            return this;
        }
    }
}

public static class DemoSeedSetup
{
    public static WebApplicationBuilder AddDemoSeed(this WebApplicationBuilder builder, Action<DemoSeed.Builder> steps)
    {
        if (!builder.Configuration.GetValue<bool>("Demo:Seed"))
        {
            return builder;
        }
        if (builder.Environment.IsProduction())
        {
            throw new InvalidOperationException("Demo:Seed 不能在生产环境中开启。");
        }
        var list = new DemoSeed.Builder();
        steps(list);
        foreach (var step in list.Steps)
        {
            builder.Services.AddSingleton(step);
        }
        builder.Services.AddSingleton(new DemoSeed(list.Steps));
        return builder;
    }
}
