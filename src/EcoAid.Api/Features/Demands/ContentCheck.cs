namespace EcoAid.Api.Features.Demands;

/// <summary>What WeChat's content security check (msgSecCheck) said of a text.</summary>
public enum ContentVerdict
{
    Pass,
    Review,
    Risky,
    /// <summary>WeChat could not be asked; the text is accepted and checked again later.</summary>
    Unavailable,
}

/// <summary>Checks user-written text before it is stored and shown to others.</summary>
public interface IContentCheck
{
    Task<ContentVerdict> CheckAsync(string openId, string text, CancellationToken ct);
}
