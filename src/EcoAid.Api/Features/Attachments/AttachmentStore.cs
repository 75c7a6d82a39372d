namespace EcoAid.Api.Features.Attachments;

/// <summary>Where attachment bytes live. The disk now; object storage can replace it without touching the API.</summary>
public interface IAttachmentStore
{
    Task SaveAsync(string key, Stream content, CancellationToken ct);

    Task<Stream?> OpenAsync(string key, CancellationToken ct);
}

public sealed class AttachmentOptions
{
    /// <summary>The folder for uploaded files. Outside any web root; nothing serves it directly.</summary>
    public string? Directory { get; set; }

    /// <summary>The largest upload accepted, in bytes.</summary>
    public long MaxBytes { get; set; } = 10 * 1024 * 1024;
}

/// <summary>Files named by server-chosen keys in one folder; a key never comes from the client.</summary>
public sealed class FileSystemAttachmentStore(string root) : IAttachmentStore
{
    public async Task SaveAsync(string key, Stream content, CancellationToken ct)
    {
        Directory.CreateDirectory(root);
        var path = PathOf(key);
        var temporary = path + ".part";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, ct);
            }
            File.Move(temporary, path);
        }
        catch
        {
            // A refused or cut-off upload leaves nothing behind.
            File.Delete(temporary);
            throw;
        }
    }

    public Task<Stream?> OpenAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        return Task.FromResult<Stream?>(File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true) : null);
    }

    private string PathOf(string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? Path.Combine(root, key) : throw new ArgumentException("Bad attachment key.", nameof(key));
}
