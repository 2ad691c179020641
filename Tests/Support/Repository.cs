namespace Condensa.Tests.Support;

/// <summary>The repository the tests run from (the folder holding Applications.sln above the test binaries).</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Applications.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Applications.sln not found above " + AppContext.BaseDirectory);
    }
}
