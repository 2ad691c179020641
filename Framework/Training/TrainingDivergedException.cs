namespace Condensa.Training;

/// <summary>
/// A training run whose loss became NaN or infinite at <paramref name="step"/> (0-based): the weights are garbage from
/// there on, so the run has no result. Its message starts with <see cref="Prefix"/>, which is how a stored unit error
/// is recognized as a divergence.
/// </summary>
public sealed class TrainingDivergedException(long step, int epoch, double loss, double lr) : CondensaException(
    FormattableString.Invariant($"{Prefix}: the loss is {loss} at step {step + 1} (epoch {epoch + 1}, learning rate {lr:g4})"),
    "the learning rate is likely too high for this model and data: lower it (train.lr, eval.lr, or the lr of the strategy's training); " +
    "a run in bfloat16 can also try precision: float32")
{
    public const string Prefix = "training diverged";

    /// <summary>True when <paramref name="error"/> (a stored unit error's text) is a divergence.</summary>
    public static bool Is(string? error) => error?.StartsWith(Prefix, StringComparison.Ordinal) == true;
}
