#!/usr/bin/env python3
"""Plain-PyTorch peer of neural-ivp's M·v: the way a straightforward implementation computes it.

The same network as the benchmark (sinusoidal embedding of eq. (5) with L octaves, decay 1,
scale 1.5; a swish MLP; one output; zero-Dirichlet boundary factor), float64. One M·v is
functorch `jvp` (J·v) followed by `vjp` (Jᵀ·(J·v)/n), each recomputing the forward pass, as
functional JAX/functorch code does. Prints one JSON line: {"seconds": median per M·v, ...}.
"""
import json
import math
import statistics
import time

import torch
from peer_args import parse_args

try:
    from torch.func import functional_call, jvp, vjp  # torch >= 2.0
except ImportError:  # Debian's torch 1.13 ships functorch separately
    from functorch import jvp, vjp
    from torch.nn.utils.stateless import functional_call


class Net(torch.nn.Module):
    def __init__(self, dim, width, depth, octaves):
        super().__init__()
        self.octaves = octaves
        features = 2 * (octaves + 1) * dim
        sizes = [features] + [width] * depth + [1]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        k = torch.arange(octaves + 1, dtype=torch.float64)
        self.register_buffer("freq", (2.0**k) * math.pi / 2)
        self.register_buffer("weight", 1.5 * 2.0 ** (-k))

    def forward(self, x):
        arg = x[:, None, :] * self.freq[None, :, None]
        w = self.weight[None, :, None]
        h = torch.cat([torch.sin(arg) * w, torch.cos(arg) * w], 1).reshape(x.shape[0], -1)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = torch.nn.functional.silu(h)
        return h[:, 0] * torch.prod(1 - x**2, dim=1)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    net = Net(args.dim, args.width, args.depth, args.octaves).double().to(device)
    params = {k: v.detach() for k, v in net.named_parameters()}
    x = torch.rand(args.n, args.dim, dtype=torch.float64, device=device) * 2 - 1
    v = {k: torch.randn_like(p) for k, p in params.items()}

    def f(p):
        return functional_call(net, p, (x,))

    def mvm(vec):
        _, jv = jvp(f, (params,), (vec,))
        _, pullback = vjp(f, params)
        (jtjv,) = pullback(jv / args.n)
        return jtjv

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    mvm(v)  # warm-up
    sync()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        mvm(v)
        sync()
        times.append(time.perf_counter() - start)
    p = sum(t.numel() for t in params.values())
    print(json.dumps({"seconds": statistics.median(times), "p": p, "n": args.n, "threads": args.threads,
                      "device": args.device, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
