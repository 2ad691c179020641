using System.ComponentModel.DataAnnotations;
using Condensa.Data;
using Condensa.Config;
using Condensa.Runtime;

namespace Condensa.Hosting;

/// <summary>Keys every scenario config has; each scenario's options class derives from this.</summary>
public class RunOptions : IValidatableOptions
{
    /// <summary>Which scenario runs (train, compare, continual, nas, ...).</summary>
    [Required] public string Scenario { get; set; } = "";

    /// <summary>Name of the run, a folder name (the run folder is runs/NAME-TIMESTAMP unless --out is given).</summary>
    public string? Name { get; set; }

    /// <summary>Master seed: every random stream of the run (data split, model init, shuffling, augmentation, builders) derives from it.</summary>
    [Range(0L, long.MaxValue)] public long Seed { get; set; }

    /// <summary>auto (CUDA when available, else CPU), cpu or cuda.</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>CPU threads for libtorch per worker process (0 = the cores shared equally by the run's local workers).</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    public DatasetOptions Dataset { get; set; } = new();

    /// <summary>Plug-in assemblies (.dll files or folders, relative to the config file) whose ICondensaPlugin classes add memory builders or scenarios.</summary>
    public List<string> Plugins { get; set; } = [];

    /// <summary>Checks relations between keys; a derived class adds its own checks and calls this one.</summary>
    public virtual void Validate(Action<string, string> error)
    {
        if (Name is { } name && (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.Contains("..", StringComparison.Ordinal)))
            error("name", $"'{name}' is not a folder name: the run folder is runs/NAME-TIMESTAMP, so a name has no '/', '\\' or '..' (use --out DIR to choose the folder)");
    }
}
