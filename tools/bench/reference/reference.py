#!/usr/bin/env python3
"""The PyTorch side of Condensa's benchmarks: the computations the C# side times, written with the DC papers' loop
structure (Zhao et al. 2021, Zhao and Bilen 2021 and 2023) so that the two sides do the same arithmetic.

    reference.py throughput [--precision float32|bfloat16] [--epochs N]   ConvNet training and inference images/s
    reference.py dm [--ipc 10] [--warmup 1] [--iterations N]              seconds per DM iteration
    reference.py dc|dsa [--ipc 10] [--warmup 0] [--iterations N]          seconds per outer iteration
    reference.py evaluate [--images-per-class 10] [--epochs 300]          one evaluation: train a fresh ConvNet, test it
    reference.py deepfool [--images N] [--candidate-classes 2]            DeepFool scores of N training images
    reference.py version                                                  the PyTorch build: version, oneDNN, BLAS

Every command prints what it does and ends with one line of key=value pairs (the numbers the bench compares).
--precision bfloat16 runs the timed computation under torch.cpu.amp.autocast(dtype=torch.bfloat16), PyTorch's own
mixed precision. Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
"""
import argparse
import contextlib
import gzip
import math
import re
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2861, 0.3530  # the DC code's Fashion-MNIST normalization


def idx(path):
    """An IDX file (gzip) as a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_mnist(split):
    """Normalized N x 1 x 28 x 28 images and labels of the train or t10k split."""
    prefix = "train" if split == "train" else "t10k"
    images = torch.from_numpy(idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz").copy()).float().unsqueeze(1) / 255
    labels = torch.from_numpy(idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64))
    return (images - MEAN) / STD, labels


class InstanceNorm(nn.GroupNorm):
    """GroupNorm(C, C). Under autocast PyTorch 1.13 hands it a bfloat16 input with float32 parameters, which it rejects
    (group_norm is on none of autocast's lists); it runs in float32 then, as autocast does with its float32 ops."""

    def forward(self, x):
        return super().forward(x.float()) if x.dtype != self.weight.dtype else super().forward(x)


class ConvNet(nn.Module):
    """The DC papers' ConvNet: depth x [conv 3x3 (padding 3 on a 28x28 one-channel input, so it sees 32x32) ->
    instance norm (GroupNorm(C, C)) -> ReLU -> 2x2 average pooling], then one linear layer."""

    def __init__(self, width=128, depth=3, classes=10, channels=1, side=28):
        super().__init__()
        layers, size = [], 32 if side == 28 else side
        for d in range(depth):
            layers += [nn.Conv2d(channels if d == 0 else width, width, 3, padding=3 if side == 28 and d == 0 else 1),
                       InstanceNorm(width, width, affine=True), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
            size //= 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * size * size, classes)

    def embed(self, x):
        return self.features(x).flatten(1)

    def forward(self, x):
        return self.classifier(self.embed(x))


def autocast(precision):
    return torch.cpu.amp.autocast(dtype=torch.bfloat16) if precision == "bfloat16" else contextlib.nullcontext()


# ---- differentiable Siamese augmentation (one op of the strategy per call, the DSA code's mode 'S') ------------------

OPS = ["color", "crop", "cutout", "flip", "scale", "rotate"]


def augment(x, generator, shared):
    """One randomly chosen op with parameters drawn from generator: shared = one draw for every image (Siamese)."""
    op = OPS[torch.randint(len(OPS), (1,), generator=generator).item()]
    n = 1 if shared else x.shape[0]
    u = lambda: torch.rand(n, generator=generator).view(-1, 1, 1, 1)
    if op == "color":
        x = x + (u() - 0.5)
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        return (x - mean) * (u() + 0.5) + mean  # saturation is the identity on one channel
    if op == "crop":
        h, w = x.shape[2], x.shape[3]
        sy, sx = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
        dy = torch.randint(-sy, sy + 1, (n,), generator=generator).view(-1, 1, 1)
        dx = torch.randint(-sx, sx + 1, (n,), generator=generator).view(-1, 1, 1)
        rows = (torch.arange(h).view(1, h, 1) - dy + 1).clamp(0, h + 1)
        cols = (torch.arange(w).view(1, 1, w) - dx + 1).clamp(0, w + 1)
        index = (rows * (w + 2) + cols).view(-1, 1, h * w).expand(x.shape[0], x.shape[1], h * w)
        return F.pad(x, [1, 1, 1, 1]).view(x.shape[0], x.shape[1], -1).gather(2, index).view_as(x)
    if op == "cutout":
        h, w = x.shape[2], x.shape[3]
        ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
        cy = torch.randint(0, h + 1 - ch % 2, (n, 1), generator=generator) - ch // 2
        cx = torch.randint(0, w + 1 - cw % 2, (n, 1), generator=generator) - cw // 2
        rows, cols = torch.arange(h).view(1, -1), torch.arange(w).view(1, -1)
        inside = ((rows >= cy) & (rows < cy + ch)).unsqueeze(2) & ((cols >= cx) & (cols < cx + cw)).unsqueeze(1)
        return x * (~inside).unsqueeze(1).to(x.dtype)
    if op == "flip":
        return torch.where(u() < 0.5, x.flip(3), x)
    if op == "scale":
        r = 1.2
        sx, sy = torch.rand(n, generator=generator) * (r - 1 / r) + 1 / r, torch.rand(n, generator=generator) * (r - 1 / r) + 1 / r
        z = torch.zeros(n)
        theta = torch.stack([sx, z, z, z, sy, z], 1).view(-1, 2, 3)
    else:  # rotate
        a = (torch.rand(n, generator=generator) - 0.5) * 2 * 15 * math.pi / 180
        z = torch.zeros(n)
        theta = torch.stack([a.cos(), -a.sin(), z, a.sin(), a.cos(), z], 1).view(-1, 2, 3)
    grid = F.affine_grid(theta.to(x.dtype), [n, *x.shape[1:]], align_corners=False).expand(x.shape[0], -1, -1, -1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# ---- the timed computations ---------------------------------------------------------------------------------------

def throughput(args):
    train_x, train_y = fashion_mnist("train")
    test_x, _ = fashion_mnist("test")
    x, y = train_x[:10000].contiguous(), train_y[:10000].contiguous()
    torch.manual_seed(0)
    net = ConvNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    batch = 256

    def train(steps):
        net.train()
        for s in range(steps):
            start = s * batch % len(x)
            with autocast(args.precision):
                loss = F.cross_entropy(net(x[start:start + batch]), y[start:start + batch])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer():
        net.eval()
        with torch.no_grad(), autocast(args.precision):
            for start in range(0, len(test_x), batch):
                net(test_x[start:start + batch])

    train(3)  # warm-up: allocator, oneDNN kernels
    steps = (len(x) + batch - 1) // batch
    train_rates, infer_rates = [], []
    for _ in range(args.epochs):
        t = time.perf_counter()
        train(steps)
        train_rates.append(len(x) / (time.perf_counter() - t))
    for _ in range(max(2, args.epochs)):
        t = time.perf_counter()
        infer()
        infer_rates.append(len(test_x) / (time.perf_counter() - t))
    print(f"reference throughput ({args.precision}, {torch.get_num_threads()} threads): training {[round(r) for r in train_rates]} img/s, inference {[round(r) for r in infer_rates]} img/s")
    print(f"train_images_per_second={statistics.median(train_rates):.1f} inference_images_per_second={statistics.median(infer_rates):.1f}")


def class_batches(train_x, train_y, classes=10):
    return [train_x[train_y == c] for c in range(classes)]


def real_batch(members, count, generator):
    return members[torch.randperm(len(members), generator=generator)[:count]]


def dm(args):
    """Distribution matching (Zhao and Bilen 2023, Alg. 1): per iteration a fresh random ConvNet, for every class one
    shared augmentation of a real batch and the class's synthetic images, the squared distance of their mean
    embeddings, one SGD step on the images (lr 1, momentum 0.5)."""
    train_x, train_y = fashion_mnist("train")
    members = class_batches(train_x, train_y)
    g = torch.Generator().manual_seed(0)
    syn = torch.cat([real_batch(m, args.ipc, g) for m in members]).requires_grad_(True)
    opt = torch.optim.SGD([syn], lr=1.0, momentum=0.5)
    times = []
    for it in range(args.warmup + args.iterations):
        t = time.perf_counter()
        net = ConvNet()
        for p in net.parameters():
            p.requires_grad_(False)
        loss = 0
        for c, m in enumerate(members):
            seed = int(torch.randint(2**31, (1,), generator=g))
            real = augment(real_batch(m, 256, g), torch.Generator().manual_seed(seed), shared=True)
            fake = augment(syn[c * args.ipc:(c + 1) * args.ipc], torch.Generator().manual_seed(seed), shared=True)
            with autocast(args.precision):
                real_mean = net.embed(real).detach().float().mean(0)
                fake_mean = net.embed(fake).float().mean(0)
            loss = loss + ((real_mean - fake_mean) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it >= args.warmup:  # warm-up iterations (allocator, kernels) are not timed
            times.append(time.perf_counter() - t)
    print(f"reference dm ipc {args.ipc} ({args.precision}): {[round(s, 2) for s in times]} s per iteration")
    print(f"seconds_per_iteration={statistics.median(times):.3f}")


def loops(ipc):
    """The DC code's get_loops: outer steps T and inner epochs of network training per iteration."""
    return {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}.get(ipc, (ipc, round(500 / ipc)))


def match(gw_syn, gw_real):
    """Eq. 3.10: per layer and output node 1 - cosine; biases and norm parameters (1-D) count 0."""
    distance = 0
    for s, r in zip(gw_syn, gw_real):
        if s.dim() == 1:
            continue
        s, r = s.reshape(s.shape[0], -1), r.reshape(r.shape[0], -1)
        distance = distance + (1 - (s * r).sum(-1) / (s.norm(dim=-1) * r.norm(dim=-1) + 1e-6)).sum()
    return distance


def gradient_matching(args):
    """Gradient matching (Zhao et al. 2021, Alg. 1; with --dsa, Zhao and Bilen 2021, Alg. 2): per iteration a fresh
    ConvNet and T outer steps; an outer step matches every class's real-batch gradient with its synthetic gradient and
    takes one image step (lr 0.1, momentum 0.5); between outer steps the network trains inner epochs on the synthetic
    set (lr 0.01, batch 256, augmented per image with --dsa). Under --precision bfloat16 the real-batch gradients and
    the inner training run under autocast, the synthetic side (differentiated twice) in float32: Condensa's split."""
    dsa = args.command == "dsa"
    train_x, train_y = fashion_mnist("train")
    members = class_batches(train_x, train_y)
    g = torch.Generator().manual_seed(0)
    syn = torch.cat([real_batch(m, args.ipc, g) for m in members]).requires_grad_(True)
    syn_y = torch.arange(10).repeat_interleave(args.ipc)
    opt_img = torch.optim.SGD([syn], lr=0.1, momentum=0.5)
    outer, inner = loops(args.ipc)
    times = []
    for it in range(args.warmup + args.iterations):
        t = time.perf_counter()
        net = ConvNet()
        params = list(net.parameters())
        opt_net = torch.optim.SGD(params, lr=0.01)
        for ol in range(outer):
            loss = 0
            for c, m in enumerate(members):
                real = real_batch(m, 256, g)
                fake = syn[c * args.ipc:(c + 1) * args.ipc]
                if dsa:
                    seed = int(torch.randint(2**31, (1,), generator=g))
                    real = augment(real, torch.Generator().manual_seed(seed), shared=True)
                    fake = augment(fake, torch.Generator().manual_seed(seed), shared=True)
                label = torch.full((len(real),), c)
                with autocast(args.precision):
                    gw_real = [w.detach().float() for w in torch.autograd.grad(F.cross_entropy(net(real).float(), label), params)]
                # the synthetic gradient stays float32: its double backward (create_graph) fails under 1.13's autocast
                gw_syn = torch.autograd.grad(F.cross_entropy(net(fake), label[:len(fake)]), params, create_graph=True)
                loss = loss + match(gw_syn, gw_real)
            opt_img.zero_grad()
            loss.backward()
            opt_img.step()
            if ol == outer - 1:
                break
            images, labels = syn.detach().clone(), syn_y
            for _ in range(inner):
                order = torch.randperm(len(images), generator=g)
                for start in range(0, len(images), 256):
                    x, y = images[order[start:start + 256]], labels[order[start:start + 256]]
                    if dsa:
                        x = augment(x, g, shared=False)
                    with autocast(args.precision):
                        step_loss = F.cross_entropy(net(x).float(), y)
                    opt_net.zero_grad()
                    step_loss.backward()
                    opt_net.step()
        if it >= args.warmup:
            times.append(time.perf_counter() - t)
    print(f"reference {args.command} ipc {args.ipc} ({args.precision}, {outer} outer x {inner} inner): {[round(s, 1) for s in times]} s per outer iteration")
    print(f"seconds_per_iteration={statistics.median(times):.3f}")


def evaluate(args):
    """The DC papers' evaluate_synset: a fresh ConvNet trained epochs on a memory of images-per-class real images
    (SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256, the rate x0.1 from half the epochs with a new optimizer,
    no augmentation), then tested on the 10,000 test images."""
    train_x, train_y = fashion_mnist("train")
    test_x, test_y = fashion_mnist("test")
    g = torch.Generator().manual_seed(0)
    memory = torch.cat([real_batch(m, args.images_per_class, g) for m in class_batches(train_x, train_y)])
    labels = torch.arange(10).repeat_interleave(args.images_per_class)
    t = time.perf_counter()
    torch.manual_seed(0)
    net = ConvNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    net.train()
    for epoch in range(args.epochs):
        if epoch == args.epochs // 2:
            opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
        order = torch.randperm(len(memory), generator=g)
        for start in range(0, len(memory), 256):
            with autocast(args.precision):
                loss = F.cross_entropy(net(memory[order[start:start + 256]]).float(), labels[order[start:start + 256]])
            opt.zero_grad()
            loss.backward()
            opt.step()
    trained = time.perf_counter() - t
    net.eval()
    correct = 0
    with torch.no_grad(), autocast(args.precision):
        for start in range(0, len(test_x), 256):
            correct += (net(test_x[start:start + 256]).argmax(1) == test_y[start:start + 256]).sum().item()
    seconds = time.perf_counter() - t
    print(f"reference evaluation ({args.precision}): {args.epochs} epochs on {len(memory)} images in {trained:.1f} s, test accuracy {100 * correct / len(test_x):.2f}%")
    print(f"seconds={seconds:.2f} train_seconds={trained:.2f} accuracy={correct / len(test_x):.4f}")


def deepfool(args):
    """DeepFool (Moosavi-Dezfooli et al. 2016, Alg. 2), batched as Condensa's selector: a width-32 ConvNet trained 2
    epochs (lr 0.01, momentum 0.9, batch 256) attacks N training images, 500 at a time. Each iteration linearizes the
    logits at x0 + 1.02 r_tot and steps toward the nearest boundary among the top candidate classes of the clean logits,
    for the images whose label has not changed (at most 50 iterations); one forward pass both tests the previous step
    and, while at least half the batch goes on, gives the gradients. Only the attack is timed."""
    train_x, train_y = fashion_mnist("train")
    torch.manual_seed(0)
    net = ConvNet(width=32)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    for _ in range(2):
        order = torch.randperm(len(train_x))
        for start in range(0, len(train_x), 256):
            loss = F.cross_entropy(net(train_x[order[start:start + 256]]), train_y[order[start:start + 256]])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    images = train_x[:args.images]
    t = time.perf_counter()
    steps = 0
    for start in range(0, len(images), 500):
        x0 = images[start:start + 500]
        r_tot = torch.zeros_like(x0)
        active = torch.arange(len(x0))

        def forward(rows):
            x = (x0[rows] + 1.02 * r_tot[rows]).requires_grad_(True)
            with autocast(args.precision):
                return x, net(x).float()
        for iteration in range(50):
            x, f = forward(active)
            if iteration == 0:
                top = f.detach().topk(args.candidate_classes, 1).indices
                label, others = top[:, 0], top[:, 1:]
            still = (f.detach().argmax(1) == label[active]).nonzero().squeeze(1)
            in_graph, left = len(active), len(still)
            if left == 0:
                break
            active = active[still]
            rows = None
            if 2 * left < in_graph:
                x, f = forward(active)
            elif left < in_graph:
                rows, f = still, f[still]
            f_prime = f.gather(1, others[active]) - f.gather(1, label[active].unsqueeze(1))
            w = []
            for j in range(f_prime.shape[1]):
                g = torch.autograd.grad(f_prime[:, j].sum(), x, retain_graph=j < f_prime.shape[1] - 1)[0]
                w.append((g if rows is None else g[rows]).flatten(1))
            w = torch.stack(w, 1)
            w_norm = w.square().sum(-1).sqrt().clamp_min(1e-12)
            distance = f_prime.detach().abs() / w_norm
            l = distance.argmin(1, keepdim=True)
            r = (distance.gather(1, l) / w_norm.gather(1, l)) * w.gather(1, l.unsqueeze(2).expand(-1, 1, w.shape[2])).squeeze(1)
            r_tot.index_add_(0, active, r.view(left, *x0.shape[1:]).detach())
            steps += 1
    seconds = time.perf_counter() - t
    print(f"reference deepfool ({args.precision}, {args.candidate_classes} candidate classes): {len(images)} images in {seconds:.1f} s ({steps} batch iterations)")
    print(f"deepfool={seconds:.2f} images={len(images)}")


def version():
    """The reference's build, as every bench prints it: PyTorch, oneDNN, BLAS, the CPU kernels it dispatches to, NNPACK."""
    config = torch.__config__.show()

    def find(pattern):
        match = re.search(pattern, config)
        return match.group(1) if match else "?"

    nnpack = "on" if "USE_NNPACK=ON" in config else "off (not built)"
    onednn, blas, kernels = find(r"MKL-DNN v([0-9.]+)"), find(r"BLAS_INFO=(\w+)"), find(r"CPU capability usage: (\w+)")
    print(f"PyTorch {torch.__version__}, oneDNN {onednn}, BLAS {blas}, CPU kernels {kernels}, NNPACK {nnpack}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["throughput", "dm", "dc", "dsa", "evaluate", "deepfool", "version"])
    parser.add_argument("--precision", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--ipc", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=None, help="iterations run first and not timed (dm: 1, dc/dsa: 0)")
    parser.add_argument("--images-per-class", type=int, default=10)
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--candidate-classes", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.command == "version":
        version()
    elif args.command == "throughput":
        args.epochs = args.epochs or 2
        throughput(args)
    elif args.command == "dm":
        args.iterations = args.iterations or 5
        args.warmup = 1 if args.warmup is None else args.warmup
        dm(args)
    elif args.command in ("dc", "dsa"):
        args.iterations = args.iterations or 1
        args.warmup = 0 if args.warmup is None else args.warmup
        gradient_matching(args)
    elif args.command == "evaluate":
        args.epochs = args.epochs or 300
        evaluate(args)
    else:
        deepfool(args)


if __name__ == "__main__":
    main()
