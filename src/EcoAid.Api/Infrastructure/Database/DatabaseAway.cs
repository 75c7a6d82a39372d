using System.Net.Sockets;
using MySqlConnector;

namespace EcoAid.Api.Infrastructure.Database;

/// <summary>Tells a database that cannot be reached (refused, cut, stalled past a timeout) from a fault in our own SQL.</summary>
public static class DatabaseAway
{
    /// <summary>What a 503 for an unreachable database asks the client to wait.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case MySqlException m when m.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.CommandTimeoutExpired
                    or MySqlErrorCode.ServerShutdown or MySqlErrorCode.QueryInterrupted
                    || m.IsTransient:
                case MySqlProtocolException:
                case SocketException:
                case EndOfStreamException:
                case TimeoutException:
                    return true;
                case MySqlException m2 when m2.InnerException is IOException or ObjectDisposedException:
                    return true;
                case InvalidOperationException { Message: var text } when text.Contains("Connection must be Open", StringComparison.Ordinal)
                    || text.Contains("connection is closed", StringComparison.OrdinalIgnoreCase):
                    return true;
            }
        }
        return false;
    }
}
