using Condensa.Scenarios.ArchitectureSearch;
using Condensa.Study;

namespace Condensa.Tests.Scenarios.ArchitectureSearch;

[TestClass]
public sealed class NasStudiesTests
{
    [TestMethod]
    public void ASampleOfTheSpaceHasExactlyTheRequestedDistinctCandidates()
    {
        var space = new SpaceOptions { Sample = 700 };
        var sample = space.Candidates(seed: 3);
        Assert.AreEqual(700, sample.Count, "drawn without replacement");
        Assert.AreEqual(700, sample.Select(c => c.ToString()).Distinct().Count());
        var all = new SpaceOptions().Candidates(seed: 3).Select(c => c.ToString()).ToList();
        Assert.AreEqual(720, all.Count);
        var positions = sample.Select(c => all.IndexOf(c.ToString())).ToArray();
        CollectionAssert.AreEqual(positions.Order().ToArray(), positions, "the sample keeps the space's order");
        CollectionAssert.AreEqual(sample.Select(c => c.ToString()).ToArray(), space.Candidates(seed: 3).Select(c => c.ToString()).ToArray(), "same seed, same sample");
        var small = new SpaceOptions { Sample = 20 };
        CollectionAssert.AreNotEqual(small.Candidates(1).Select(c => c.ToString()).ToArray(), small.Candidates(2).Select(c => c.ToString()).ToArray());
    }

    /// <summary>
    /// The thesis' early-stopping baseline trains on the whole training set for the proxies' number of iterations and
    /// schedule: a proxy of 2 images per class x 3 classes at batch 4 trains 2 steps per epoch, 12 steps in 6 epochs,
    /// decayed from step 6; early stopping trains all 48 training images for the same 12 steps, decayed at step 6.
    /// </summary>
    [TestMethod]
    public void EarlyStoppingTrainsTheWholeSetForTheProxysStepsAndSchedule()
    {
        using var data = NasWorkerProcessTests.TinyIdx();
        var url = "sqlite:" + Path.Combine(data.Root, "study.db");
        var (o, studies) = NasWorkerProcessTests.Plan(url, data.Root, """
            proxies: [{builder: random, ipc: 2}]
            proxy_train: {epochs: 6, batch_size: 4, lr: 0.01}
            whole_train: {epochs: 5, batch_size: 16, lr: 0.01}
            """);
        var attrs = studies.ToDictionary(s => s.UserAttrs["label"].GetString()!, s => s.UserAttrs);
        Assert.AreEqual(48, attrs["whole"]["images"].GetInt32(), "60 training images, 20 % held out for validation");
        Assert.AreEqual(5 * 3, attrs["whole"]["steps"].GetInt64(), "5 epochs of 3 batches of 16");
        Assert.AreEqual(6, attrs["random"]["images"].GetInt32());
        Assert.AreEqual(12, attrs["random"]["steps"].GetInt64());
        Assert.AreEqual(48, attrs["early-stopping"]["images"].GetInt32(), "the whole training set");
        Assert.AreEqual(12, attrs["early-stopping"]["steps"].GetInt64(), "as many steps as the proxy");

        var early = NasStudies.Training(o, NasStudyKind.EarlyStopping, numClasses: 3);
        Assert.AreEqual(12, early.TotalSteps(48));
        Assert.AreEqual(6, early.DecayStepOf(48), "decayed where the proxy's training decays");
        Assert.AreEqual(o.ProxyTrain.DecayStepOf(6), early.DecayStepOf(48));
    }
}
