using System.ComponentModel.DataAnnotations;
using Condensa.Config;
using Condensa.Memory;
using Condensa.Training;

namespace Condensa.Tests.Framework.Hosting.Config;

public enum Color { Red, DarkBlue }

public sealed class Inner
{
    [Range(1, 10)] public int Depth { get; set; } = 3;
    public List<int> Ipc { get; set; } = [1, 10];
}

public sealed class Sample : IValidatableOptions
{
    [Range(1, 1000)] public int Epochs { get; set; } = 5;
    public double Lr { get; set; } = 0.1;
    public bool Verbose { get; set; }
    public Color Color { get; set; } = Color.Red;
    [AllowedValues("sgd", "adam")] public string Optimizer { get; set; } = "sgd";
    public Inner Inner { get; set; } = new();
    public List<MethodSpec> Builders { get; set; } = [];
    public int? Limit { get; set; }

    public void Validate(Action<string, string> error)
    {
        if (Limit is { } l && l > Epochs) error("limit", $"{l} exceeds epochs ({Epochs})");
    }
}

[TestClass]
public sealed class ConfigBinderTests
{
    private static readonly MemoryBuilderRegistry Registry = CreateRegistry();

    private static MemoryBuilderRegistry CreateRegistry()
    {
        var r = new MemoryBuilderRegistry();
        Condensa.Methods.MethodsModule.Register(r);
        return r;
    }

    private static (Sample Value, ConfigErrors Errors) Bind(string yaml, params string[] overrides)
    {
        var root = YamlConfig.Parse(yaml, "test.yaml");
        var errors = new ConfigErrors("test.yaml");
        foreach (var o in overrides) YamlConfig.ApplyOverride(root, o, errors);
        var value = new OptionsBinder(errors, Registry).Bind<Sample>(root);
        return (value, errors);
    }

    [TestMethod]
    public void BindsValuesAndKeepsDefaults()
    {
        var (s, errors) = Bind("epochs: 7\nlr: 0.5\nverbose: true\ncolor: dark-blue\ninner:\n  ipc: [1, 10, 50]\n");
        Assert.IsFalse(errors.Any, string.Join("\n", errors.Errors));
        Assert.AreEqual(7, s.Epochs);
        Assert.AreEqual(0.5, s.Lr);
        Assert.IsTrue(s.Verbose);
        Assert.AreEqual(Color.DarkBlue, s.Color);
        CollectionAssert.AreEqual(new[] { 1, 10, 50 }, s.Inner.Ipc);
        Assert.AreEqual(3, s.Inner.Depth, "absent keys keep their defaults");
        Assert.AreEqual("sgd", s.Optimizer);
    }

    [TestMethod]
    public void UnknownKeyReportsLineColumnAndAllowedKeys()
    {
        var (_, errors) = Bind("epochs: 7\ninner:\n  deph: 2\n");
        Assert.AreEqual(1, errors.Errors.Count);
        StringAssert.StartsWith(errors.Errors[0], "test.yaml:3:3: 'inner.deph': unknown key (did you mean 'depth'?)");
        StringAssert.Contains(errors.Errors[0], "allowed keys in 'inner': depth, ipc");
    }

    [TestMethod]
    public void WrongTypeReportsPositionAndExpectedType()
    {
        var (_, errors) = Bind("lr: 0.1\nepochs: ten\n");
        Assert.AreEqual("test.yaml:2:9: 'epochs': expected an integer, got 'ten'", errors.Errors.Single());
    }

    [TestMethod]
    public void OutOfRangeAndAllowedValues()
    {
        var (_, errors) = Bind("epochs: 0\noptimizer: rmsprop\ncolor: green\ninner: {depth: 11}\n");
        Assert.AreEqual(4, errors.Errors.Count, string.Join("\n", errors.Errors));
        Assert.AreEqual("test.yaml:1:9: 'epochs': 0 is out of range; allowed: 1 to 1000", errors.Errors[0]);
        Assert.AreEqual("test.yaml:2:12: 'optimizer': 'rmsprop' is not allowed; allowed values: sgd, adam", errors.Errors[1]);
        Assert.AreEqual("test.yaml:3:8: 'color': 'green' is not allowed; allowed values: red, dark-blue", errors.Errors[2]);
        StringAssert.StartsWith(errors.Errors[3], "test.yaml:4:16: 'inner.depth': 11 is out of range");
    }

    [TestMethod]
    public void CrossFieldValidationNamesTheKey()
    {
        var (_, errors) = Bind("epochs: 5\nlimit: 9\n");
        Assert.AreEqual("test.yaml:2:8: 'limit': 9 exceeds epochs (5)", errors.Errors.Single());
    }

    [TestMethod]
    public void BuildersByNameWithTypedOptions()
    {
        var (s, errors) = Bind("builders:\n  - random\n  - {name: random, label: baseline}\n");
        Assert.IsFalse(errors.Any, string.Join("\n", errors.Errors));
        Assert.AreEqual(2, s.Builders.Count);
        Assert.AreEqual("random", s.Builders[0].Name);
        Assert.AreEqual("baseline", s.Builders[1].DisplayName);
        Assert.IsInstanceOfType<IMemoryBuilder>(Registry.Create(s.Builders[1]));
    }

    [TestMethod]
    public void UnknownBuilderListsRegisteredOnes()
    {
        var (_, errors) = Bind("builders:\n  - randon\n");
        StringAssert.StartsWith(errors.Errors.Single(), "test.yaml:2:5: 'builders[0]': unknown builder 'randon' (did you mean 'random'?); registered builders: ");
    }

    [TestMethod]
    public void OverridesReplaceValuesAndAreNamedInErrors()
    {
        var (s, errors) = Bind("epochs: 7\n", "epochs=9", "inner.ipc=[2, 4]");
        Assert.IsFalse(errors.Any, string.Join("\n", errors.Errors));
        Assert.AreEqual(9, s.Epochs);
        CollectionAssert.AreEqual(new[] { 2, 4 }, s.Inner.Ipc);
        var (_, bad) = Bind("epochs: 7\n", "epochs=many");
        Assert.AreEqual("--set epochs=many: 'epochs': expected an integer, got 'many'", bad.Errors.Single());
    }

    [TestMethod]
    public void SyntaxErrorCarriesPosition()
    {
        var e = Assert.ThrowsExactly<ConfigurationException>(() => YamlConfig.Parse("epochs: 5\n  lr: [1, 2\n", "bad.yaml"));
        StringAssert.Matches(e.Message, new System.Text.RegularExpressions.Regex(@"^bad\.yaml:\d+:\d+: YAML syntax error"));
    }

    [TestMethod]
    public void ResolvedConfigRoundTrips()
    {
        var (s, _) = Bind("epochs: 7\nbuilders: [random]\ncolor: dark-blue\n");
        var yaml = ConfigWriter.ToYaml(s);
        var (again, errors) = Bind(yaml);
        Assert.IsFalse(errors.Any, yaml + "\n" + string.Join("\n", errors.Errors));
        Assert.AreEqual(ConfigWriter.ToYaml(again), yaml);
        StringAssert.Contains(yaml, "color: dark-blue");
    }

    [TestMethod]
    public void TrainOptionsRejectDecayAfterTheLastEpoch()
    {
        var errors = new ConfigErrors("t.yaml");
        new OptionsBinder(errors).Bind<TrainOptions>(YamlConfig.Parse("epochs: 4\ndecay_epoch: 4\n", "t.yaml"));
        Assert.AreEqual("t.yaml:2:14: 'decay_epoch': 4 must be below epochs (4), or the decay never happens", errors.Errors.Single());
    }
}
