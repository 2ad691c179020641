using System.Diagnostics;
using Condensa.Data;
using Condensa.Hosting;
using Condensa.Models;
using Condensa.Reporting;
using Condensa.Training;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TorchSharp;

namespace Condensa.Scenarios.Train;

internal sealed class TrainScenarioOptions : RunOptions
{
    /// <summary>Architecture to train, e.g. convnet-w128-d3-instancenorm-relu-avgpool.</summary>
    public string Arch { get; set; } = ArchitectureSpec.Default.ToString();

    public TrainOptions Train { get; set; } = new();

    public override void Validate(Action<string, string> error)
    {
        base.Validate(error);
        ArchitectureSpec.Validate("arch", Arch, error);
    }
}

/// <summary>
/// Scenario <c>train</c>: train one architecture on a dataset (or a class subset) and test it. Writes results.json
/// (<c>{"scenario":"train","metrics":{"test_accuracy":...}}</c>, accuracies as fractions), training.csv (one row per
/// epoch, rewritten after every epoch so a cancelled run keeps its curve), training_curve.png and model.bin.
/// </summary>
internal sealed class TrainScenario : IScenario
{
    public string Name => "train";
    public string Description => "Train an architecture on a dataset (or a subset of its classes) and test it";
    public Type OptionsType => typeof(TrainScenarioOptions);

    public int Run(RunContext ctx, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var o = (TrainScenarioOptions)runOptions;
        var log = ctx.Log;
        var spec = ArchitectureSpec.Parse(o.Arch);
        var clock = Stopwatch.StartNew();
        using var splits = DatasetCatalog.Load(o.Dataset, Seeds.Derive(o.Seed, "data"));
        var train = splits.Train.To(ctx.Device);
        var test = splits.Test.To(ctx.Device);
        splits.Describe(log);
        using var model = ModelFactory.Create(spec, train.Shape, train.NumClasses, Seeds.Derive(o.Seed, "model"));
        model.to(ctx.Device);
        log.LogInformation("model {Spec}: {Params:N0} parameters", spec, model.parameters().Sum(p => p.numel()));

        var history = new List<EpochRecord>();
        var status = "completed";
        var trainClock = Stopwatch.StartNew();
        try
        {
            new Trainer(o.Train).Train(model, train, Seeds.Derive(o.Seed, "train"), cancellationToken, test: test, progress: ctx.Progress,
                onEpoch: e =>
                {
                    history.Add(e);
                    log.LogInformation("epoch {Epoch}/{Epochs}  lr {Lr:0.#####}  loss {Loss:0.0000}  train {TrainAcc}{Test}  ({Seconds:0.0} s, {Rate:0} img/s)",
                        e.Epoch, o.Train.Epochs, e.Lr, e.Loss, Format.Percent(e.TrainAccuracy), e.TestAccuracy is { } t ? $"  test {Format.Percent(t)}" : "", e.Seconds, train.Count / e.Seconds);
                    WriteCurve(ctx.Directory, history);
                });
        }
        catch (OperationCanceledException)
        {
            status = "cancelled";
        }
        catch (TrainingDivergedException diverged)
        {
            // no accuracy is reported for a diverged model: results.json says why the run failed
            new TrainResults
            {
                Status = "failed", Error = Errors.Describe(diverged), Arch = spec.ToString(), Dataset = train.Name, Seed = o.Seed,
                Metrics = new TrainMetrics { EpochsCompleted = history.Count },
            }.Write(ctx.Directory);
            throw;
        }
        trainClock.Stop();

        var result = Evaluator.Evaluate(model, test, precision: o.Train.Precision);
        model.save(ctx.Directory.PathOf("model.bin"));
        new TrainResults
        {
            Status = status, Arch = spec.ToString(), Dataset = train.Name, Seed = o.Seed,
            Metrics = new TrainMetrics
            {
                TestAccuracy = Round(result.Accuracy), TestLoss = Round(result.Loss),
                TrainAccuracy = history.Count > 0 ? Round(history[^1].TrainAccuracy) : null, TrainLoss = history.Count > 0 ? Round(history[^1].Loss) : null,
                EpochsCompleted = history.Count, TrainSeconds = Math.Round(trainClock.Elapsed.TotalSeconds, 2),
                TrainImagesPerSecond = history.Count > 0 ? Math.Round(train.Count * history.Count / history.Sum(h => h.Seconds), 1) : null,
                TotalSeconds = Math.Round(clock.Elapsed.TotalSeconds, 2),
            },
            PerClassAccuracy = Enumerable.Range(0, train.NumClasses).ToDictionary(c => train.ClassNames[c], c => Round(result.PerClassAccuracy[c])),
            ConfusionMatrix = result.Confusion,
        }.Write(ctx.Directory);

        AnsiConsole.Write(new ReportTable("metric", "value")
            .Add("architecture", spec.ToString())
            .Add("epochs", $"{history.Count}/{o.Train.Epochs}{(status == "cancelled" ? " (cancelled)" : "")}")
            .Add("test accuracy", Format.Percent(result.Accuracy))
            .Add("training time", $"{trainClock.Elapsed.TotalSeconds:0} s").ToConsole());
        log.LogInformation("test accuracy {Accuracy} ({Status})", Format.Percent(result.Accuracy), status);
        if (status == "cancelled") throw new OperationCanceledException();
        return 0;
    }

    private static void WriteCurve(RunDirectory dir, List<EpochRecord> history)
    {
        dir.WriteCsv("training.csv", ["epoch", "lr", "loss", "train_accuracy", "test_accuracy", "seconds"],
            history.Select(h => (IReadOnlyList<object?>)[h.Epoch, h.Lr, h.Loss, h.TrainAccuracy, h.TestAccuracy, h.Seconds]));
        var x = history.Select(h => (double)h.Epoch).ToArray();
        var series = new List<Series>
        {
            new("train loss", x, history.Select(h => h.Loss).ToArray()),
            new("train accuracy", x, history.Select(h => h.TrainAccuracy).ToArray()),
        };
        var tested = history.Where(h => h.TestAccuracy is not null).ToArray();
        if (tested.Length > 0) series.Add(new("test accuracy", tested.Select(h => (double)h.Epoch).ToArray(), tested.Select(h => h.TestAccuracy!.Value).ToArray()));
        Plots.SavePng(Plots.Line("Training curve", "epoch", "loss / accuracy", series), dir.PathOf("training_curve.png"));
    }

    private static double Round(double v) => double.IsNaN(v) ? v : Math.Round(v, 6);
}
