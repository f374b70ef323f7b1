#!/usr/bin/env python3
"""JAX peer of neural-ivp's M·v, as the paper's reference implementation (JAX) computes it.

The same network as the benchmark and as mvm_peer.py (sinusoidal embedding of eq. (5) with L
octaves, decay 1, scale 1.5; a swish MLP; one output; zero-Dirichlet boundary factor), float64.
Two forms, each jit-compiled: `jvp` then `vjp` of the network (what mvm_peer.py does in PyTorch),
and `linearize` + `linear_transpose` (the Jacobian's linearisation computed once, as the reference
implementation's M·v reuses it across CG iterations). Prints one JSON line:
{"seconds": the faster form's median per M·v, "jvp_vjp": ..., "linearize": ..., ...}.
"""
import json
import math
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402  (after enabling float64)
from peer_args import parse_args  # noqa: E402


def init(key, dim, width, depth, octaves):
    features = 2 * (octaves + 1) * dim
    sizes = [features] + [width] * depth + [1]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1.0 / math.sqrt(a)
        params.append((jax.random.uniform(kw, (b, a), jnp.float64, -bound, bound),
                       jax.random.uniform(kb, (b,), jnp.float64, -bound, bound)))
    return params


def network(octaves):
    k = jnp.arange(octaves + 1, dtype=jnp.float64)
    freq = (2.0**k) * math.pi / 2
    weight = 1.5 * 2.0 ** (-k)

    def apply(params, x):
        arg = x[:, None, :] * freq[None, :, None]
        w = weight[None, :, None]
        h = jnp.concatenate([jnp.sin(arg) * w, jnp.cos(arg) * w], 1).reshape(x.shape[0], -1)
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = jax.nn.silu(h)
        return h[:, 0] * jnp.prod(1 - x**2, axis=1)

    return apply


def median_seconds(fn, arg, repeats):
    jax.block_until_ready(fn(arg))  # compile and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(arg))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    args = parse_args()
    platform = "gpu" if args.device == "cuda" else "cpu"
    device = jax.devices(platform)[0]
    with jax.default_device(device):
        key = jax.random.PRNGKey(0)
        params = init(key, args.dim, args.width, args.depth, args.octaves)
        x = jax.random.uniform(jax.random.PRNGKey(1), (args.n, args.dim), jnp.float64) * 2 - 1
        v = jax.tree_util.tree_map(lambda p: jax.random.normal(jax.random.PRNGKey(2), p.shape, jnp.float64), params)
        apply = network(args.octaves)

        def f(p):
            return apply(p, x)

        @jax.jit
        def mvm_jvp_vjp(vec):
            _, jv = jax.jvp(f, (params,), (vec,))
            _, pullback = jax.vjp(f, params)
            return pullback(jv / args.n)[0]

        _, f_lin = jax.linearize(f, params)
        f_lin_t = jax.linear_transpose(f_lin, params)

        @jax.jit
        def mvm_linearized(vec):
            return f_lin_t(f_lin(vec) / args.n)[0]

        jvp_vjp = median_seconds(mvm_jvp_vjp, v, args.repeats)
        linearized = median_seconds(mvm_linearized, v, args.repeats)
    p = sum(w.size + b.size for w, b in params)
    print(json.dumps({"seconds": min(jvp_vjp, linearized), "jvp_vjp": jvp_vjp, "linearize": linearized, "p": p,
                      "n": args.n, "device": args.device, "jax": jax.__version__}))


if __name__ == "__main__":
    main()
