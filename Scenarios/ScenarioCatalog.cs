namespace Condensa.Scenarios;

/// <summary>The scenarios the <c>condensa</c> host offers.</summary>
public static class ScenarioCatalog
{
    public static IEnumerable<Type> All() =>
    [
        typeof(Train.TrainScenario),
        typeof(Comparison.CompareScenario),
        typeof(ContinualLearning.ContinualScenario),
        typeof(ArchitectureSearch.NasScenario),
    ];
}
