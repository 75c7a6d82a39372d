using Microsoft.AspNetCore.Http.Features;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>
/// Request bodies are bounded before they are read. Every endpoint gets <see cref="DefaultBytes"/> unless it names a
/// larger limit with <see cref="WithBodyLimit"/> (policy bodies, uploads). A declared Content-Length over the limit is
/// answered 413 at once, without reading; a chunked body is cut off with 413 as soon as it crosses the limit — also
/// when the body is buffered first to hash an Idempotency-Key, since the buffer reads through the same bounded stream.
/// </summary>
public static class BodyLimits
{
    /// <summary>What a JSON body of this API may weigh unless its endpoint says otherwise.</summary>
    public const long DefaultBytes = 64 * 1024;

    /// <summary>Policy documents: a body of up to 100,000 characters, written as JSON.</summary>
    public const long PolicyBytes = 1024 * 1024;

    /// <summary>Multipart framing around one uploaded file.</summary>
    public const long MultipartOverhead = 64 * 1024;

    public sealed record Limit(long Bytes);

    /// <summary>Raises (or lowers) this endpoint's body limit.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(b => b.Metadata.Add(new Limit(bytes)));
        return builder;
    }

    /// <summary>The limit that applies to this request (the endpoint's, else the default).</summary>
    public static long For(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<Limit>()?.Bytes ?? DefaultBytes;

    /// <summary>Must run after routing (so the endpoint is known) and before anything reads or buffers a body.</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var limit = For(http);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrel)
            {
                kestrel.MaxRequestBodySize = limit;
            }
            if (http.Request.ContentLength > limit)
            {
                // Kestrel drains at most a little of what follows; the client is told at once.
                await WriteTooLargeAsync(http, limit);
                return;
            }
            if (http.Request.ContentLength is not null and 0)
            {
                await next(http);
                return;
            }
            var bounded = new BoundedStream(http.Request.Body, limit);
            http.Request.Body = bounded;
            try
            {
                await next(http);
            }
            catch (BadHttpRequestException) when (bounded.Crossed && !http.Response.HasStarted)
            {
                // Thrown through a handler that did not catch it.
            }
            // Model binding treats a failed body read as the client's I/O trouble and answers nothing: say what it was.
            if (bounded.Crossed && !http.Response.HasStarted)
            {
                http.Response.Clear();
                await WriteTooLargeAsync(http, limit);
            }
        });

    public static async Task WriteTooLargeAsync(HttpContext http, long limit)
    {
        http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        http.Response.Headers.Connection = "close";
        await Problems.Create(StatusCodes.Status413PayloadTooLarge, "request.too_large", "内容过大", Describe(limit)).ExecuteAsync(http);
    }

    public static string Describe(long limit) => limit >= 1024 * 1024
        ? $"提交的内容不能超过 {limit / 1024 / 1024} MB。"
        : $"提交的内容不能超过 {limit / 1024} KB。";

    /// <summary>Reads through to the inner stream and throws a 413 BadHttpRequestException once more than the limit arrived.</summary>
    private sealed class BoundedStream(Stream inner, long limit) : Stream
    {
        private long total;

        public bool Crossed { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => total; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            Count(await inner.ReadAsync(buffer, ct));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        private int Count(int read)
        {
            total += read;
            if (total > limit)
            {
                Crossed = true;
                throw new BadHttpRequestException(Describe(limit), StatusCodes.Status413PayloadTooLarge);
            }
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
