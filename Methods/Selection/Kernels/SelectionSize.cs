namespace Condensa.Methods.Selection.Kernels;

/// <summary>Checks a selection budget against the points available to pick from.</summary>
internal static class SelectionSize
{
    public static void Check(string method, int budget, long available)
    {
        if (budget < 1 || budget > available)
            throw new CondensaException(
                $"{method}: cannot select {budget} point(s) from {available} available; the budget must be between 1 and {available}.",
                "Lower the budget (ipc or fraction) or select from a larger set.");
    }
}
