using QueueCtl.Core.Errors;

namespace QueueCtl.Core.Storage;

/// <summary>
/// Where the queue lives: an explicit path, else $QUEUECTL_DB, else a per-user default.
/// The CLI and the module both resolve through here, so they always see the same queue.
/// </summary>
public static class DatabaseLocation
{
    public const string EnvironmentVariable = "QUEUECTL_DB";

    public static string Resolve(string? explicitPath = null)
    {
        var chosen = !string.IsNullOrWhiteSpace(explicitPath) ? explicitPath
            : System.Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv
            : DefaultPath();
        if (chosen.Contains('\0'))
            throw new QueueException(QueueErrorKind.InvalidInput, "InvalidDatabasePath", "The database path contains a NUL character.", chosen);
        try
        {
            return Path.GetFullPath(ExpandHome(chosen));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new QueueException(QueueErrorKind.InvalidInput, "InvalidDatabasePath", $"'{chosen}' is not a usable database path: {e.Message}", chosen, e);
        }
    }

    /// <summary>The per-user default: XDG data home on Linux, Application Support on macOS, LOCALAPPDATA on Windows.</summary>
    public static string DefaultPath()
    {
        string folder;
        if (OperatingSystem.IsWindows())
            folder = System.Environment.GetFolderPath(System.Environment.SpecialFolder.LocalApplicationData);
        else if (OperatingSystem.IsMacOS())
            folder = Path.Combine(Home(), "Library", "Application Support");
        else
            folder = System.Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
                ? xdg : Path.Combine(Home(), ".local", "share");
        return Path.Combine(folder, "queuectl", "queue.db");
    }

    private static string Home() => System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path) =>
        path == "~" ? Home() : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(), path[2..]) : path;
}
