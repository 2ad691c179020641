using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Condensa.Work;

/// <summary>
/// The extra worker processes a coordinator starts on its machine (<c>workers: N</c>): <c>condensa worker</c> serving the
/// run's studies, its output relayed into the coordinator's log. A child stops claiming units when its standard input
/// closes: the coordinator closes it when the run is done, and the system closes it if the coordinator dies, so no
/// child outlives its run by more than the unit it is running. Stopping early sends SIGTERM, which puts a child's
/// running unit back in the queue at once.
/// </summary>
internal static class LocalWorkers
{
    /// <summary>The hidden option that makes a worker stop claiming when its standard input closes.</summary>
    public const string FollowStdinOption = "--follow-stdin";

    public static List<Process> Start(int count, string storageUrl, IReadOnlyList<string> studies, ILogger log, string? workDir = null)
    {
        var children = new List<Process>();
        for (int i = 0; i < count; i++)
        {
            var info = Executable();
            info.RedirectStandardInput = info.RedirectStandardOutput = info.RedirectStandardError = true;
            info.UseShellExecute = false;
            foreach (var a in new[] { "worker", "--storage", storageUrl, FollowStdinOption }) info.ArgumentList.Add(a);
            foreach (var s in studies)
            {
                info.ArgumentList.Add("--study");
                info.ArgumentList.Add(s);
            }
            if (workDir is not null)
            {
                info.ArgumentList.Add("--work-dir");
                info.ArgumentList.Add(workDir);
            }
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) log.LogInformation("  worker {Pid}: {Line}", process.Id, e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) log.LogWarning("  worker {Pid}: {Line}", process.Id, e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            children.Add(process);
        }
        if (count > 0) log.LogInformation("started {Count} local worker processes: {Pids}", count, string.Join(", ", children.Select(c => c.Id)));
        return children;
    }

    /// <summary>
    /// Ends the children: their input closes (they finish their unit, claim no other, and exit); unless the run ended
    /// normally they also get SIGTERM, so their running units go back to the queue now. A child still alive after
    /// <paramref name="patience"/> is killed (its unit goes stale and is re-run).
    /// </summary>
    public static void Stop(List<Process> children, bool normalEnd, TimeSpan patience)
    {
        foreach (var child in children)
        {
            try
            {
                child.StandardInput.Close();
            }
            catch (IOException)
            {
            }
            if (!normalEnd && !child.HasExited) Terminate(child);
        }
        foreach (var child in children)
        {
            if (!child.WaitForExit(patience)) child.Kill(entireProcessTree: true);
            child.WaitForExit();
            child.Dispose();
        }
        children.Clear();
    }

    /// <summary>SIGTERM (on Windows: kill).</summary>
    public static void Terminate(Process process)
    {
        if (OperatingSystem.IsWindows()) process.Kill(entireProcessTree: true);
        else _ = Kill(process.Id, 15);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>
    /// Set by a program of its user's that runs the command line with builders or scenarios of its own
    /// (<c>CondensaCli.RunAsync(args, configureServices)</c>): its workers must be that same program, which knows them.
    /// </summary>
    public static bool ThisProgramExtendsTheCommandLine { get; set; }

    /// <summary>
    /// How to start the command line again: this program (its apphost, or <c>dotnet</c> with its entry assembly) when it
    /// is <c>condensa</c> or extends it, else the <c>condensa</c> apphost beside this assembly (tests).
    /// </summary>
    private static ProcessStartInfo Executable()
    {
        var self = Environment.ProcessPath!;
        var name = Path.GetFileNameWithoutExtension(self);
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        if (name == "condensa" || (ThisProgramExtendsTheCommandLine && name != "dotnet")) return new ProcessStartInfo(self);
        if (name == "dotnet" && entry is not null && (ThisProgramExtendsTheCommandLine || Path.GetFileNameWithoutExtension(entry) == "condensa"))
        {
            var info = new ProcessStartInfo(self);
            info.ArgumentList.Add(entry);
            return info;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "condensa.exe" : "condensa");
        return File.Exists(beside)
            ? new ProcessStartInfo(beside)
            : throw new CondensaException("cannot start local workers: the condensa program was not found beside " + AppContext.BaseDirectory, "set workers: 1, or run from ./condensa");
    }
}
