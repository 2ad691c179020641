using TorchSharp;
using static TorchSharp.torch;

namespace Condensa.Training.Augmentation;

/// <summary>
/// CutMix (Yun et al., ICCV 2019) as IDC's code applies it (<c>misc/utils.rand_bbox</c>): with probability p a batch gets,
/// in every image, the same box of its partner's pixels (partners: a random permutation of the batch); λ ~ Beta(1, 1),
/// the box has sides √(1 − λ) of the image's, centred uniformly and clipped at the borders, and the loss is
/// λ'·CE(y) + (1 − λ')·CE(y_partner) with λ' = 1 − the clipped box's share of the image.
/// </summary>
public sealed class CutMix
{
    private readonly Tensor _partners;
    private readonly long _x1, _x2, _y1, _y2;

    /// <summary>The share of each image that keeps its own pixels (λ').</summary>
    public double Lambda { get; }

    private CutMix(Tensor partners, long x1, long x2, long y1, long y2, double lambda) =>
        (_partners, _x1, _x2, _y1, _y2, Lambda) = (partners, x1, x2, y1, y2, lambda);

    /// <summary>A draw for the batch <paramref name="x"/> (N x C x H x W), or null when the coin (probability <paramref name="p"/>) says no mixing.</summary>
    public static CutMix? Draw(Tensor x, double p, Generator generator)
    {
        if (rand([1], generator: generator).item<float>() >= p) return null;
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        double lambda = rand([1], generator: generator).item<float>();   // Beta(1, 1)
        double cut = Math.Sqrt(1 - lambda);
        long cw = (long)(w * cut), ch = (long)(h * cut);
        long cx = randint(w, [1], generator: generator).item<long>(), cy = randint(h, [1], generator: generator).item<long>();
        long x1 = Math.Clamp(cx - cw / 2, 0, w), x2 = Math.Clamp(cx + cw / 2, 0, w), y1 = Math.Clamp(cy - ch / 2, 0, h), y2 = Math.Clamp(cy + ch / 2, 0, h);
        var partners = randperm(n, generator: generator).to(x.device);
        return new CutMix(partners, x1, x2, y1, y2, 1 - (double)(x2 - x1) * (y2 - y1) / (w * h));
    }

    /// <summary>The batch with each image's box replaced by its partner's.</summary>
    public Tensor Apply(Tensor x)
    {
        var mixed = x.clone();
        if (_x2 > _x1 && _y2 > _y1)
            mixed[.., .., TensorIndex.Slice(_y1, _y2), TensorIndex.Slice(_x1, _x2)] = x.index_select(0, _partners)[.., .., TensorIndex.Slice(_y1, _y2), TensorIndex.Slice(_x1, _x2)];
        return mixed;
    }

    /// <summary>λ'·CE(logits, y) + (1 − λ')·CE(logits, y of the partners).</summary>
    public Tensor Loss(Tensor logits, Tensor y) =>
        nn.functional.cross_entropy(logits, y) * Lambda + nn.functional.cross_entropy(logits, y.index_select(0, _partners)) * (1 - Lambda);
}
