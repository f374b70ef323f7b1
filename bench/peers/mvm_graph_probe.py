#!/usr/bin/env python3
"""What a CUDA graph would save on neural-ivp's M·v, measured before the addon captures one.

The same cached-factor product the addon computes with one vector (native/engine/linearization.cc,
the whole-batch rule): per layer, J·v is Z = h V_Wᵀ + V_b, Z ⊙= δ, Jv += Z·1, and Jᵀ(Jv) is
G = δ ⊙ Jv, ∇W += Gᵀh, ∇b += Gᵀ1; then /n and + μv. The factors h, δ are random (timing only).
The product runs eagerly and replayed from a CUDA graph captured once, in float64 and float32, and
the graph's result is checked against the eager one. Prints one JSON line.
"""
import json
import statistics
import time

import torch
from peer_args import parse_args


def layer_sizes(args):
    features = 2 * (args.octaves + 1) * args.dim
    sizes = [features] + [args.width] * args.depth + [1]
    return list(zip(sizes[:-1], sizes[1:]))


def make_mvm(args, dtype, device):
    gen = torch.Generator(device="cpu").manual_seed(0)
    n = args.n
    layers = layer_sizes(args)
    h = [torch.randn(n, i, generator=gen, dtype=dtype).to(device) for i, _ in layers]
    delta = [torch.randn(n, o, generator=gen, dtype=dtype).to(device) * 0.1 for _, o in layers]
    widest = max(o for _, o in layers)
    ones_out = torch.ones(widest, dtype=dtype, device=device)
    ones_rows = torch.ones(n, dtype=dtype, device=device)
    p = sum(o * i + o for i, o in layers)
    offsets, at = [], 0
    for i, o in layers:
        offsets.append((at, at + o * i))  # weight offset, bias offset
        at += o * i + o

    def mvm(v, mu=1e-3):
        jv = torch.zeros(n, dtype=dtype, device=device)
        for (i, o), (w0, b0), hl, dl in zip(layers, offsets, h, delta):
            z = torch.addmm(v[b0:b0 + o].view(1, o), hl, v[w0:w0 + o * i].view(o, i).t())
            z.mul_(dl)
            jv.addmv_(z, ones_out[:o])
        out = torch.zeros(p, dtype=dtype, device=device)
        for (i, o), (w0, b0), hl, dl in zip(layers, offsets, h, delta):
            g = dl * jv.unsqueeze(1)
            out[w0:w0 + o * i].view(o, i).addmm_(g.t(), hl)
            out[b0:b0 + o].addmv_(g.t(), ones_rows)
        return out.mul_(1.0 / n).add_(v, alpha=mu)

    return mvm, p


def median_seconds(fn, repeats):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(args, dtype):
    device = torch.device("cuda")
    mvm, p = make_mvm(args, dtype, device)
    static_v = torch.randn(p, dtype=dtype, device=device)
    eager = median_seconds(lambda: mvm(static_v), args.repeats)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            mvm(static_v)  # warm the allocator and cuBLAS handles on the capture stream
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out = mvm(static_v)
    graphed = median_seconds(graph.replay, args.repeats)
    static_v.copy_(torch.randn(p, dtype=dtype, device=device))
    graph.replay()
    expected = mvm(static_v)
    error = ((static_out - expected).norm() / expected.norm()).item()
    return {"eager_seconds": eager, "graph_seconds": graphed, "graph_vs_eager_error": error, "p": p}


def main():
    args = parse_args()
    if args.device != "cuda" or not torch.cuda.is_available():
        print(json.dumps({"note": "CUDA graphs need a CUDA device; nothing measured"}))
        return
    report = {"n": args.n, "torch": torch.__version__, "device": torch.cuda.get_device_name()}
    for name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
        report[name] = measure(args, dtype)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
