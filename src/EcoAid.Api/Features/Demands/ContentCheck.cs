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

/// <summary>
/// Checks user-written text before it is stored and shown to others.
/// <para>
/// A submission waits for the check (it is not deferred to <see cref="ContentRecheckWorker"/>): the contract has the 201
/// answer carry <c>pending_review</c> for flagged text ("已提交，待审核" in the app), and a flagged demand is told to the
/// commissioners only, never to the enterprise's liaison. Answering first and checking later would answer <c>submitted</c>
/// for text that ends in review and tell the liaison of text nobody checked. Only when WeChat cannot be asked is a demand
/// accepted as <c>pending</c> and checked again by the worker. The check runs before the transaction, holding no lock.
/// </para>
/// </summary>
public interface IContentCheck
{
    Task<ContentVerdict> CheckAsync(string openId, string text, CancellationToken ct);
}
