using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Condensa.Data;

namespace Condensa.Hosting;

public enum DeviceKind { Auto, Cpu, Cuda }

/// <summary>Keys every scenario config has; each scenario's options class derives from this.</summary>
public class RunOptions
{
    /// <summary>Which scenario runs (train, compare, continual, nas, ...).</summary>
    [Required] public string Scenario { get; set; } = "";

    /// <summary>Name of the run (the run folder is runs/NAME-TIMESTAMP unless --out is given).</summary>
    public string? Name { get; set; }

    /// <summary>Master seed: every random stream of the run (data split, model init, shuffling, augmentation, builders) derives from it.</summary>
    [Range(0L, long.MaxValue)] public long Seed { get; set; }

    /// <summary>auto (CUDA when available, else CPU), cpu or cuda.</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>CPU threads for libtorch (0 = one per core).</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    public DatasetOptions Dataset { get; set; } = new();
}
