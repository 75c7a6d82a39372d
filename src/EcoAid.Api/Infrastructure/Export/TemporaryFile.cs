namespace EcoAid.Api.Infrastructure.Export;

/// <summary>
/// A file an export is written into before it is sent: the rows go to disk as they are read, so a long list is never
/// held in memory, and an error while writing can still be answered as a problem (nothing has been sent yet). The file
/// deletes itself when the response has sent it and closes it (or when the caller disposes it on a failure).
/// </summary>
public static class TemporaryFile
{
    public static FileStream Create(string prefix, string extension) =>
        new(Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}.{extension}"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
}
