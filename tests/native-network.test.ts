// The addon seen from JavaScript: jets and Jacobian products against finite differences and
// the adjoint identity, and the errors that bad arguments raise at the border.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { type NativeNetworkConfig, native } from '../ts/native';
import { testDevice } from './helpers/device';
import { dot, relativeError, uniform } from './helpers/random';

const config: NativeNetworkConfig = {
  dim: 2,
  fields: 2,
  width: 16,
  depth: 2,
  frequencies: 3,
  lower: [-1, 0],
  upper: [1, 2],
  device: testDevice,
};

function makeNetwork(overrides: Partial<NativeNetworkConfig> = {}) {
  return new (native().Network)({ ...config, ...overrides });
}

function points(n: number, seed: number): Float64Array {
  const u = uniform(n * 2, 0, 1, seed);
  for (let i = 0; i < n; i++) {
    u[2 * i] = -1 + 2 * u[2 * i];
    u[2 * i + 1] = 2 * u[2 * i + 1];
  }
  return u;
}

describe('runtime', () => {
  it('runs libtorch with one intra-op thread per core', () => {
    expect(native().threads()).toBe(os.availableParallelism());
    expect(native().torchVersion()).toMatch(/^\d+\.\d+/);
  });
});

describe('forward jets', () => {
  it('match central finite differences', async () => {
    const net = makeNetwork();
    const theta = net.initialParameters(3);
    const n = 9;
    const x = points(n, 1);
    const jets = await net.forward(theta, x, { gradient: true, laplacian: true, pairs: [[0, 1]] });
    const h = 1e-4;
    const shifted = async (dx: number, dy: number) => {
      const p = x.slice();
      for (let i = 0; i < n; i++) {
        p[2 * i] += dx;
        p[2 * i + 1] += dy;
      }
      return (await net.forward(theta, p)).values;
    };
    const [xp, xm, yp, ym] = await Promise.all([shifted(h, 0), shifted(-h, 0), shifted(0, h), shifted(0, -h)]);
    const [pp, pm, mp, mm] = await Promise.all([shifted(h, h), shifted(h, -h), shifted(-h, h), shifted(-h, -h)]);
    const grad = new Float64Array(n * 2 * 2);
    const lap = new Float64Array(n * 2);
    const mixed = new Float64Array(n * 2);
    for (let q = 0; q < n * 2; q++) {
      grad[2 * q] = (xp[q] - xm[q]) / (2 * h);
      grad[2 * q + 1] = (yp[q] - ym[q]) / (2 * h);
      lap[q] = (xp[q] + xm[q] + yp[q] + ym[q] - 4 * jets.values[q]) / (h * h);
      mixed[q] = (pp[q] - pm[q] - mp[q] + mm[q]) / (4 * h * h);
    }
    expect(relativeError(jets.gradients as Float64Array, grad)).toBeLessThan(1e-7);
    expect(relativeError(jets.laplacian as Float64Array, lap)).toBeLessThan(1e-5);
    expect(relativeError(jets.second as Float64Array, mixed)).toBeLessThan(1e-5);
  });

  it('vanish on the box faces with the Dirichlet factor, and not without it', async () => {
    const theta = makeNetwork().initialParameters(1);
    const face = Float64Array.from([-1, 0.3, 1, 1.2, 0.2, 0, -0.4, 2]);
    expect([...(await makeNetwork().forward(theta, face)).values].every((v) => v === 0)).toBe(true);
    const open = await makeNetwork({ dirichlet: false }).forward(theta, face);
    expect(Math.max(...open.values.map(Math.abs))).toBeGreaterThan(1e-6);
  });

  it("take a boundary per axis: zero on the Dirichlet axis's faces only, repeating along the periodic one", async () => {
    const channel = makeNetwork({ dirichlet: [false, true], periodic: [true, false] });
    const theta = channel.initialParameters(1);
    // Faces of x[1] (0 and 2), then faces of x[0] (−1 and 1) at the same x[1].
    const walls = (await channel.forward(theta, Float64Array.from([0.3, 0, -0.6, 2]))).values;
    expect([...walls].every((v) => v === 0)).toBe(true);
    const ends = (await channel.forward(theta, Float64Array.from([-1, 0.7, 1, 0.7]))).values;
    expect(Math.max(...ends.map(Math.abs))).toBeGreaterThan(1e-6);
    for (let a = 0; a < 2; a++) expect(Math.abs(ends[a] - ends[2 + a])).toBeLessThan(1e-12);
    // The J·v of the channel's linearization against finite differences in θ.
    const x = points(20, 3);
    const lin = await channel.linearize(theta, x);
    const v = uniform(channel.parameterCount, -1, 1, 7);
    const eps = 1e-6;
    const fp = (
      await channel.forward(
        theta.map((t, i) => t + eps * v[i]),
        x,
      )
    ).values;
    const fm = (
      await channel.forward(
        theta.map((t, i) => t - eps * v[i]),
        x,
      )
    ).values;
    expect(
      relativeError(
        await lin.jvp(v, 1),
        fp.map((f, i) => (f - fm[i]) / (2 * eps)),
      ),
    ).toBeLessThan(1e-8);
    expect(() => makeNetwork({ dirichlet: [] })).toThrow(/network.dirichlet must not be an empty array/);
    expect(() => makeNetwork({ dirichlet: [true, 1 as unknown as boolean] })).toThrow(
      /network.dirichlet\[1\] must be a boolean/,
    );
    expect(() => makeNetwork({ dirichlet: [true, true, false] })).toThrow(
      /network.dirichlet: needs one entry, or one per axis/,
    );
    expect(() => makeNetwork({ dirichlet: [true, false], periodic: [true, false] })).toThrow(
      /network.periodic: axis 0/,
    );
  });
});

describe('Jacobian products', () => {
  it('satisfy the adjoint identity <Jv, w> = <v, Jᵀw> to 1e-12', async () => {
    const net = makeNetwork();
    const lin = await net.linearize(net.initialParameters(2), points(50, 2));
    const v = uniform(net.parameterCount, -1, 1, 5);
    const w = uniform(50 * 2, -1, 1, 6);
    const lhs = dot(await lin.jvp(v, 1), w);
    const rhs = dot(v, await lin.vjp(w, 1));
    expect(Math.abs(lhs - rhs) / Math.abs(rhs)).toBeLessThan(1e-12);
  });

  it('J·v matches finite differences in θ', async () => {
    const net = makeNetwork();
    const theta = net.initialParameters(4);
    const x = points(20, 3);
    const lin = await net.linearize(theta, x);
    const v = uniform(net.parameterCount, -1, 1, 7);
    const eps = 1e-6;
    const plus = theta.map((t, i) => t + eps * v[i]);
    const minus = theta.map((t, i) => t - eps * v[i]);
    const fp = (await net.forward(plus, x)).values;
    const fm = (await net.forward(minus, x)).values;
    const fd = fp.map((f, i) => (f - fm[i]) / (2 * eps));
    expect(relativeError(await lin.jvp(v, 1), fd)).toBeLessThan(1e-8);
  });

  it('M·V of a block equals the single products, and equals JᵀJV/n + μV from the explicit J', async () => {
    const net = makeNetwork();
    const n = 30;
    const lin = await net.linearize(net.initialParameters(5), points(n, 4));
    const p = net.parameterCount;
    const pa = net.fieldParameterCount;
    const r = 3;
    const V = uniform(p * r, -1, 1, 8);
    const mu = 1e-3;
    const block = await lin.mvm(V, r, mu);
    for (let q = 0; q < r; q++) {
      const column = Float64Array.from({ length: p }, (_, i) => V[i * r + q]);
      const single = await lin.mvm(column, 1, mu);
      const fromBlock = Float64Array.from({ length: p }, (_, i) => block[i * r + q]);
      expect(relativeError(fromBlock, single)).toBeLessThan(1e-14);
      // Explicit J, field by field (J is block diagonal over the fields' subnetworks).
      for (let a = 0; a < 2; a++) {
        const J = await lin.jacobian(a);
        const va = column.subarray(a * pa, (a + 1) * pa);
        const Jv = Float64Array.from({ length: n }, (_, i) => dot(J.subarray(i * pa, (i + 1) * pa), va));
        const expected = Float64Array.from({ length: pa }, (_, j) => {
          let s = 0;
          for (let i = 0; i < n; i++) s += J[i * pa + j] * Jv[i];
          return s / n + mu * va[j];
        });
        expect(relativeError(single.subarray(a * pa, (a + 1) * pa), expected)).toBeLessThan(1e-13);
      }
    }
  });

  it('chunked products equal unchunked ones', async () => {
    const x = points(41, 5);
    const whole = makeNetwork();
    const chunked = makeNetwork({ chunkRows: 4 });
    const theta = whole.initialParameters(6);
    const V = uniform(whole.parameterCount * 2, -1, 1, 9);
    const a = await (await whole.linearize(theta, x)).mvm(V, 2, 0.1);
    const b = await (await chunked.linearize(theta, x)).mvm(V, 2, 0.1);
    expect(relativeError(b, a)).toBeLessThan(1e-14);
  });

  it("the CUDA rule ('batch') gives the cache rule's products, in launches that do not grow with n", async () => {
    const batch = makeNetwork({ chunking: 'batch', chunkRows: 4 });
    const cache = makeNetwork({ chunking: 'cache', chunkRows: 4 });
    const theta = batch.initialParameters(6);
    const V = uniform(batch.parameterCount, -1, 1, 9);
    const ops: Record<'batch' | 'cache', number[]> = { batch: [], cache: [] };
    for (const n of [40, 400]) {
      const x = points(n, n);
      const linBatch = await batch.linearize(theta, x);
      const linCache = await cache.linearize(theta, x);
      expect(relativeError(await linBatch.mvm(V, 1, 0.1), await linCache.mvm(V, 1, 0.1))).toBeLessThan(1e-13);
      const counted = await linBatch.mvmLaunches(V, 1, 0.1);
      expect(counted.syncs).toBe(0);
      ops.batch.push(counted.ops);
      ops.cache.push((await linCache.mvmLaunches(V, 1, 0.1)).ops);
    }
    expect(ops.batch[1]).toBe(ops.batch[0]);
    expect(ops.cache[1]).toBeGreaterThan(ops.cache[0]);
    expect(() => makeNetwork({ chunking: 'tiles' as 'batch' })).toThrow(/network.chunking must be one of/);
  });

  it('release() frees the caches: the object then refuses work with a TypeError', async () => {
    const net = makeNetwork();
    const lin = await net.linearize(net.initialParameters(1), points(20, 3));
    const v = uniform(net.parameterCount, -1, 1, 4);
    const pending = lin.mvm(v, 1, 0); // started work keeps its own reference
    lin.release();
    expect((await pending).length).toBe(net.parameterCount);
    expect(() => lin.mvm(v, 1, 0)).toThrow(TypeError);
    expect(() => lin.values()).toThrow(/released/);
  });

  it('F = Jᵀf/n equals the adjoint product scaled by 1/n', async () => {
    const net = makeNetwork();
    const lin = await net.linearize(net.initialParameters(7), points(25, 6));
    const f = uniform(50, -1, 1, 10);
    const F = await lin.rhs(f);
    const JtF = await lin.vjp(f, 1);
    expect(
      relativeError(
        F,
        JtF.map((v) => v / 25),
      ),
    ).toBeLessThan(1e-15);
  });
});

describe('bad input at the native border', () => {
  it('raises TypeError or RangeError naming the argument', async () => {
    const net = makeNetwork();
    const theta = net.initialParameters(0);
    expect(() => net.forward(theta, [0, 1] as unknown as Float64Array)).toThrow(/points must be a Float64Array/);
    expect(() => net.forward(theta, new Float64Array(3))).toThrow(RangeError);
    expect(() => net.forward(new Float64Array(5), new Float64Array(2))).toThrow(/theta must hold \d+ numbers/);
    expect(() => net.forward(theta, new Float64Array(2), { pairs: [[0, 2]] })).toThrow(/request.pairs\[0\]\[1\]/);
    const lin = await net.linearize(theta, points(4, 1));
    expect(() => lin.mvm(new Float64Array(net.parameterCount), 2)).toThrow(RangeError);
    expect(() => lin.mvm(new Float64Array(net.parameterCount), 1, -1)).toThrow(/mu must be >= 0/);
    expect(() => makeNetwork({ width: 0 })).toThrow(/network.width/);
    expect(() => makeNetwork({ activation: 'relu' as 'swish' })).toThrow(/network.activation must be one of/);
    expect(() => makeNetwork({ lower: [0, 0], upper: [0, 1] })).toThrow(/network.domain/);
    expect(() => makeNetwork({ dtype: 'float16' as 'float32' })).toThrow(RangeError);
  });

  it('turns a native exception into a JS Error without aborting', () => {
    const huge = makeNetwork({ width: 65536, depth: 64 });
    // θ alone is 2.2 TB: refused before anything is allocated, whatever the machine's overcommit.
    expect(() => huge.initialParameters(0)).toThrow(/θ has \d+ parameters, .* more than this machine's/);
    // The process is still alive and the addon still works.
    expect(makeNetwork().parameterCount).toBeGreaterThan(0);
  });
});
