using Condensa.Data;
using Condensa.Models;
using TorchSharp;
using static TorchSharp.torch;
using Condensa.Runtime;

namespace Condensa.Scenarios.ContinualLearning;

/// <summary>What every learner needs: the model to build (over the dataset's whole class space), where, and how to report.</summary>
internal sealed record LearnerSetup(ArchitectureSpec Arch, ImageShape Shape, int NumClasses, string DatasetName, Device Device, IProgressSink Progress);
