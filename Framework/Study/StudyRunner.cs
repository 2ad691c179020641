using System.Diagnostics;

namespace Condensa.Study;

/// <summary>How a worker runs trials. Defaults follow Optuna's RDB heartbeat, with a longer grace.</summary>
internal sealed record WorkerOptions
{
    /// <summary>How often a running trial's heartbeat is written, from a background timer.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A Running trial whose heartbeat is older than this is stale (its worker presumed dead) and re-queued;
    /// null means 3 × <see cref="HeartbeatInterval"/>. Every worker of a study should use the same value.</summary>
    public TimeSpan? Grace { get; init; }

    /// <summary>How many times a trial may be started: a stale trial already started this often becomes Failed
    /// instead of being re-queued (a trial that kills its worker every time does not loop forever).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Re-queue a trial whose objective threw (until <see cref="MaxAttempts"/>) instead of failing it at once.</summary>
    public bool RetryFailedTrials { get; init; }

    /// <summary>Called after each trial this worker ran, on the worker's thread.</summary>
    public Action<TrialOutcome>? TrialEnded { get; init; }

    public TimeSpan EffectiveGrace => Grace ?? 3 * HeartbeatInterval;
}

/// <summary>How one run of a trial by this worker ended.</summary>
internal enum TrialOutcomeKind
{
    Complete,
    Failed,

    /// <summary>The objective threw and <see cref="WorkerOptions.RetryFailedTrials"/> put the trial back to Waiting.</summary>
    Retried,

    /// <summary>The worker was cancelled (Ctrl+C): the trial went back to Waiting, its attempt given back.</summary>
    Interrupted,

    /// <summary>The heartbeat came too late and another worker re-queued the trial: the result was discarded.</summary>
    Lost,
}

internal sealed record TrialOutcome(int Number, int Attempt, TrialOutcomeKind Kind, double? Value, string? Error, TimeSpan Elapsed);

/// <summary>What one worker did. <see cref="RequeuedStale"/>/<see cref="FailedStale"/> count other workers' stale trials it found.</summary>
internal sealed record WorkerReport(int Complete, int Failed, int Retried, int Lost, int RequeuedStale, int FailedStale, bool Interrupted);

/// <summary>
/// The worker loop (what each <c>condensa nas worker</c> process runs; Optuna's <c>optimize</c> with heartbeats and
/// retried stale trials built in). Every worker is equal; there is no coordinator.
/// </summary>
internal static class StudyRunner
{
    /// <summary>A worker id unique on this machine at this moment: host name and process id.</summary>
    public static string DefaultWorkerId() => $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// Repeatedly: re-queue stale trials and claim the Waiting trial with the lowest number (one transaction), run
    /// <paramref name="objective"/> on it while a background timer keeps its heartbeat fresh, then store the result:
    /// a returned value makes it Complete (NaN makes it Failed, as Optuna), an exception Failed with the exception's
    /// text (or re-queued with <see cref="WorkerOptions.RetryFailedTrials"/>).
    /// <para>
    /// The worker stops when no trial is Waiting, after <paramref name="maxTrials"/> trials, or on cancellation. It does
    /// not wait for other workers' Running trials: a trial stranded by a killed worker goes stale after the grace period
    /// and is re-run by the next worker that looks for work (so restarting a worker, or the study, finishes it).
    /// On cancellation the running trial gets the cancelled token; whatever it then throws, the trial goes back to
    /// Waiting (not Failed) with its attempt given back, so a resumed study runs it again. A worker killed outright
    /// leaves its trial Running until it goes stale. The objective runs on the calling thread.
    /// </para>
    /// </summary>
    public static WorkerReport RunWorker(SearchStudy study, Func<Trial, CancellationToken, double> objective, string workerId,
        int? maxTrials = null, WorkerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WorkerOptions();
        if (string.IsNullOrWhiteSpace(workerId)) throw new CondensaException("A worker needs a non-empty id.");
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.EffectiveGrace <= options.HeartbeatInterval || options.MaxAttempts < 1)
            throw new CondensaException(
                $"Worker options: needs heartbeat interval > 0, grace > heartbeat interval and max attempts >= 1 " +
                $"(got {options.HeartbeatInterval}, {options.EffectiveGrace}, {options.MaxAttempts}).");

        var counts = new Dictionary<TrialOutcomeKind, int>();
        int started = 0, requeuedStale = 0, failedStale = 0;
        while (!cancellationToken.IsCancellationRequested && (maxTrials is null || started < maxTrials))
        {
            var claim = study.Storage.Claim(study.Id, workerId, options.EffectiveGrace, options.MaxAttempts);
            requeuedStale += claim.Requeued;
            failedStale += claim.FailedStale;
            if (claim.Trial is null) break;
            started++;
            var outcome = RunTrial(new Trial(study, claim.Trial, workerId), objective, options, cancellationToken);
            counts[outcome.Kind] = counts.GetValueOrDefault(outcome.Kind) + 1;
            options.TrialEnded?.Invoke(outcome);
        }
        int Count(TrialOutcomeKind kind) => counts.GetValueOrDefault(kind);
        return new WorkerReport(Count(TrialOutcomeKind.Complete), Count(TrialOutcomeKind.Failed),
            Count(TrialOutcomeKind.Retried), Count(TrialOutcomeKind.Lost), requeuedStale, failedStale, cancellationToken.IsCancellationRequested);
    }

    private static TrialOutcome RunTrial(Trial trial, Func<Trial, CancellationToken, double> objective, WorkerOptions options, CancellationToken cancellationToken)
    {
        var storage = trial.Study.Storage;
        var lease = trial.Lease;
        var clock = Stopwatch.StartNew();
        using var lost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost.Token);

        double value = double.NaN;
        Exception? error = null;
        using (new Heartbeat(() => storage.Heartbeat(lease), options.HeartbeatInterval, lost.Cancel))
        {
            try
            {
                value = objective(trial, linked.Token);
            }
            catch (Exception e)
            {
                error = e;
            }
        }

        TrialOutcome End(TrialOutcomeKind kind, bool stored, double? result = null, string? text = null) =>
            new(trial.Number, trial.Attempt, stored ? kind : TrialOutcomeKind.Lost, result, text, clock.Elapsed);

        if (lost.IsCancellationRequested || error is TrialLostException) return End(TrialOutcomeKind.Lost, stored: false);
        if (error is null)
        {
            return double.IsNaN(value)
                ? End(TrialOutcomeKind.Failed, storage.Finish(lease, TrialState.Failed, value, "The objective returned NaN."), text: "The objective returned NaN.")
                : End(TrialOutcomeKind.Complete, storage.Finish(lease, TrialState.Complete, value, null), value);
        }
        if (cancellationToken.IsCancellationRequested)
        {
            string reason = $"interrupted: worker {trial.Worker} was stopped";
            return End(TrialOutcomeKind.Interrupted, storage.Requeue(lease, reason, countAttempt: false), text: reason);
        }
        string text = $"{Errors.Describe(error)}\n\n{error}";   // the words a user reads first, then the details
        return options.RetryFailedTrials && trial.Attempt < options.MaxAttempts
            ? End(TrialOutcomeKind.Retried, storage.Requeue(lease, text, countAttempt: true), text: text)
            : End(TrialOutcomeKind.Failed, storage.Finish(lease, TrialState.Failed, double.NaN, text), text: text);
    }

    /// <summary>Writes a trial's heartbeat every interval from a dedicated background thread (not the thread pool,
    /// which a busy process can starve) until disposed; calls <c>lost</c> once if the store says the trial is no
    /// longer this worker's. A store error (database briefly unreachable) skips one beat: if it lasts past the grace
    /// period another worker takes the trial over and the next beat reports the loss.</summary>
    private sealed class Heartbeat : IDisposable
    {
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread _thread;

        public Heartbeat(Func<bool> beat, TimeSpan interval, Action lost)
        {
            _thread = new Thread(() =>
            {
                while (!_stop.Wait(interval))
                {
                    bool owned;
                    try
                    {
                        owned = beat();
                    }
                    catch (CondensaException)
                    {
                        continue;
                    }
                    if (!owned)
                    {
                        lost();
                        return;
                    }
                }
            }) { IsBackground = true, Name = "condensa-heartbeat" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop.Set();
            _thread.Join();
            _stop.Dispose();
        }
    }
}
