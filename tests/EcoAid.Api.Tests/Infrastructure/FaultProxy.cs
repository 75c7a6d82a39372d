using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback between the service and MariaDB that can break the way a database goes away:
/// <see cref="FaultMode.Refuse"/> drops the open connections and resets every new one at once (a stopped server),
/// <see cref="FaultMode.Cut"/> drops the open connections and cuts each new one after the server's first packet (a
/// crash mid-conversation), and
/// <see cref="FaultMode.Stall"/> accepts connections and forwards nothing in either direction (a frozen server).
/// <see cref="FaultMode.Pass"/> forwards everything again; held bytes flow on.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<int, (Socket Client, Socket Upstream)> links = new();
    private readonly ConcurrentBag<Socket> held = [];
    private readonly Task acceptLoop;
    private int nextLink;
    private volatile FaultMode mode = FaultMode.Pass;

    private FaultProxy(string connectionString)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString);
        targetHost = builder.Server;
        targetPort = (int)builder.Port;
        listener.Start();
        builder.Server = "127.0.0.1";
        builder.Port = (uint)((IPEndPoint)listener.LocalEndpoint).Port;
        ConnectionString = builder.ConnectionString;
        acceptLoop = AcceptAsync();
    }

    /// <summary>The database's connection string, pointed at the proxy.</summary>
    public string ConnectionString { get; }

    public static FaultProxy Start(string connectionString) => new(connectionString);

    public void Set(FaultMode value)
    {
        mode = value;
        if (value is FaultMode.Cut or FaultMode.Refuse)
        {
            foreach (var (id, link) in links)
            {
                Reset(link.Client);
                Reset(link.Upstream);
                links.TryRemove(id, out _);
            }
        }
        if (value == FaultMode.Pass)
        {
            while (held.TryTake(out var socket)) Reset(socket);
        }
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(Socket client)
    {
        switch (mode)
        {
            case FaultMode.Refuse:
                Reset(client);
                return;
            case FaultMode.Stall:
                held.Add(client);
                return;
        }
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(targetHost, targetPort, stop.Token);
        }
        catch (Exception)
        {
            Reset(client);
            upstream.Dispose();
            return;
        }
        var id = Interlocked.Increment(ref nextLink);
        links[id] = (client, upstream);
        var cutAfterFirst = mode == FaultMode.Cut;
        await Task.WhenAny(PumpAsync(client, upstream, false), PumpAsync(upstream, client, cutAfterFirst));
        links.TryRemove(id, out _);
        Reset(client);
        Reset(upstream);
    }

    private async Task PumpAsync(Socket from, Socket to, bool cutAfterFirst)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (n == 0) return;
                // A stalled link holds what it has until the proxy passes again (or the link is dropped).
                while (mode == FaultMode.Stall && !stop.IsCancellationRequested) await Task.Delay(20, stop.Token);
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token);
                if (cutAfterFirst) return;
            }
        }
        catch (Exception)
        {
            // A reset or a closed socket ends the link.
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        foreach (var link in links.Values)
        {
            Reset(link.Client);
            Reset(link.Upstream);
        }
        while (held.TryTake(out var socket)) Reset(socket);
        try
        {
            await acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }
        stop.Dispose();
    }
}

public enum FaultMode
{
    Pass,
    Refuse,
    Cut,
    Stall,
}
