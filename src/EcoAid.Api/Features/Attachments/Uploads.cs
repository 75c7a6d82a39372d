using System.Security.Cryptography;
using EcoAid.Api.Infrastructure.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace EcoAid.Api.Features.Attachments;

/// <summary>A file received and stored: its server-made key, sniffed type, size, SHA-256 and the name the client gave (data only).</summary>
public sealed record ReceivedFile(string StorageKey, string ContentType, long Size, byte[] Sha256, string? FileName);

/// <summary>
/// The one upload path (demand attachments and policy files): the multipart body is streamed, its file part sniffed
/// from its first bytes, then written to the store while it is hashed and counted; crossing the cap stops the read
/// and answers 413, whether or not the request carries an Idempotency-Key. A body cut off mid-way answers 400.
/// </summary>
public static class Uploads
{
    private const int SniffBytes = 16;

    /// <summary>The body limit of an upload endpoint: the file cap and the multipart framing around it.</summary>
    public static long BodyLimit(long maxBytes) => maxBytes + BodyLimits.MultipartOverhead;

    public static async Task<(ReceivedFile? File, IResult? Problem)> ReceiveAsync(HttpRequest request, IAttachmentStore store, long maxBytes,
        IReadOnlySet<string> accepted, string unsupportedDetail, TimeProvider clock, CancellationToken ct)
    {
        if (request.ContentLength > BodyLimit(maxBytes))
        {
            return (null, TooLarge(maxBytes));
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "request.unsupported_media_type", "不支持的内容类型",
                "请以 multipart/form-data 上传，文件字段名为 file。"));
        }
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = BodyLimit(maxBytes) };
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.IsFileDisposition() || !"file".Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, StringComparison.Ordinal))
                {
                    continue; // other parts are ignored (the reader drains them)
                }
                var head = new byte[SniffBytes];
                var read = await section.Body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
                if (read == 0)
                {
                    return (null, Problems.Validation("file", "请选择要上传的文件。"));
                }
                if (AttachmentsApi.Sniff(head.AsSpan(0, read)) is not { } contentType || !accepted.Contains(contentType))
                {
                    return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "attachment.unsupported_type", "不支持的文件类型", unsupportedDetail));
                }
                var key = $"{clock.GetUtcNow():yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
                using var hashing = new CappedHashingStream(head.AsMemory(0, read), section.Body, maxBytes);
                await store.SaveAsync(key, hashing, ct);
                var givenName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                var fileName = Path.GetFileName(givenName) is { Length: > 0 and <= 200 } name ? name : null;
                return (new ReceivedFile(key, contentType, hashing.Total, hashing.Hash(), fileName), null);
            }
            return (null, Problems.Validation("file", "请选择要上传的文件。"));
        }
        catch (FileTooLargeException)
        {
            return (null, TooLarge(maxBytes));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TooLarge(maxBytes));
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !ct.IsCancellationRequested)
        {
            return (null, Problems.BadRequest("request.invalid", "上传的内容不完整或格式不正确，请重新上传。"));
        }
    }

    public static IResult TooLarge(long max) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "request.too_large", "文件过大", $"文件不能超过 {max / 1024 / 1024} MB。");

    private sealed class FileTooLargeException() : IOException("The file is over the cap.");

    /// <summary>The sniffed head, then the rest of the part; counts and hashes what passes, and stops past the cap.</summary>
    private sealed class CappedHashingStream(ReadOnlyMemory<byte> head, Stream rest, long cap) : Stream
    {
        private readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private ReadOnlyMemory<byte> pending = head;

        public long Total { get; private set; }

        public byte[] Hash() => sha.GetHashAndReset();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            int read;
            if (!pending.IsEmpty)
            {
                read = Math.Min(buffer.Length, pending.Length);
                pending[..read].CopyTo(buffer);
                pending = pending[read..];
            }
            else
            {
                read = await rest.ReadAsync(buffer, ct);
            }
            Total += read;
            if (Total > cap)
            {
                throw new FileTooLargeException();
            }
            sha.AppendData(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                sha.Dispose();
            }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
