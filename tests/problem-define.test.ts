import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, isProblem, ops, type ProblemSpec, SpecError } from '../ts/problem';

const { lap, d, sin } = ops;

// A valid two-field base spec; cases override parts of it.
function base(): Record<string, unknown> {
  return {
    name: 'base',
    dim: 3,
    domain: { lower: -1, upper: [1, 2, 3] },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }: { x: Expr[] }) => ({ u: sin(x[0]), v: 0 }),
    rhs: ({ u, v }: { u: Expr; v: Expr }) => ({ u: v, v: lap(u) }),
    exact: ({ x, t }: { x: Expr[]; t: Expr }) => ({ u: x[0].mul(t), v: 1 }),
    params: { k: 2 },
  };
}

function errorOf(spec: unknown): SpecError {
  try {
    defineProblem(spec as ProblemSpec);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw new Error(`expected a SpecError, got ${String(e)}`);
  }
  throw new Error('expected defineProblem to throw');
}

// A field expression that belongs to another problem (fields u, w).
let foreignW: Expr | undefined;
defineProblem({
  dim: 3,
  domain: { lower: -1, upper: 1 },
  boundary: 'none',
  fields: ['u', 'w'],
  initial: () => ({ u: 0, w: 0 }),
  rhs: ({ w }) => {
    foreignW = w;
    return { u: 0, w: 0 };
  },
});

const cases: [string, Record<string, unknown>, string, RegExp?][] = [
  ['spec not an object', { __replace: 42 }, 'spec'],
  ['unknown key', { intial: () => ({}) }, 'intial', /unknown key/],
  ['name not a string', { name: 7 }, 'name'],
  ['dim zero', { dim: 0 }, 'dim'],
  ['dim too large', { dim: 65 }, 'dim'],
  ['dim fractional', { dim: 2.5 }, 'dim'],
  ['dim string', { dim: '3' }, 'dim'],
  ['domain missing', { domain: undefined }, 'domain'],
  ['domain lower non-finite entry', { domain: { lower: [-1, -1, Number.NaN], upper: 1 } }, 'domain.lower[2]'],
  ['domain lower wrong length', { domain: { lower: [-1, -1], upper: 1 } }, 'domain.lower', /expected 3 numbers/],
  ['domain upper infinite', { domain: { lower: -1, upper: Number.POSITIVE_INFINITY } }, 'domain.upper'],
  ['domain inverted', { domain: { lower: 0, upper: [1, 0, 1] } }, 'domain.upper[1]'],
  ['domain extra key', { domain: { lower: -1, upper: 1, middle: 0 } }, 'domain.middle'],
  ['boundary', { boundary: 'circular' }, 'boundary'],
  ['fields empty', { fields: [] }, 'fields'],
  ['field not an identifier', { fields: ['u', 'v-2'] }, 'fields[1]'],
  ['field reserved', { fields: ['u', 't'] }, 'fields[1]', /reserved/],
  ['field duplicate', { fields: ['u', 'u'] }, 'fields[1]', /duplicate/],
  ['initial and initialValues', { initialValues: () => new Float64Array(2) }, 'initial'],
  ['neither initial', { initial: undefined }, 'initial'],
  ['initial not a function', { initial: { u: 0, v: 0 } }, 'initial'],
  ['rhs missing', { rhs: undefined }, 'rhs'],
  ['rhs entry missing', { rhs: ({ u }: { u: Expr }) => ({ u }) }, 'rhs.v', /missing/],
  [
    'rhs extra entry',
    { rhs: ({ u }: { u: Expr }) => ({ u, v: u, w: u }) },
    'rhs.w',
    /unknown field 'w' \(fields are u, v\)/,
  ],
  [
    'rhs unknown field reference',
    { rhs: ({ u }: { u: Expr }) => ({ u, v: foreignW }) },
    'rhs.v',
    /unknown field 'w' \(fields are u, v\)/,
  ],
  ['rhs entry a string', { rhs: ({ u }: { u: Expr }) => ({ u, v: 'lap(u)' }) }, 'rhs.v'],
  ['rhs entry NaN', { rhs: ({ u }: { u: Expr }) => ({ u, v: Number.NaN }) }, 'rhs.v'],
  ['rhs returns an expression', { rhs: ({ u }: { u: Expr }) => u }, 'rhs', /one entry per field/],
  ['rhs returns a promise', { rhs: async ({ u }: { u: Expr }) => ({ u, v: u }) }, 'rhs', /promise/],
  [
    'rhs throws',
    {
      rhs: () => {
        throw new TypeError('boom');
      },
    },
    'rhs',
    /boom/,
  ],
  ['rhs third derivative', { rhs: ({ u }: { u: Expr }) => ({ u, v: d(lap(u), 0) }) }, 'rhs', /order above 2/],
  ['rhs axis out of range', { rhs: ({ u }: { u: Expr }) => ({ u, v: d(u, 3) }) }, 'rhs', /out of range/],
  ['rhs non-finite constant', { rhs: ({ u }: { u: Expr }) => ({ u, v: u.mul(Number.POSITIVE_INFINITY) }) }, 'rhs'],
  ['rhs log of a negative constant', { rhs: ({ u }: { u: Expr }) => ({ u, v: ops.log(-1) }) }, 'rhs', /not finite/],
  ['initial uses t', { initial: () => ({ u: defineTime(), v: 0 }) }, 'initial.u', /not on t/],
  ['initial uses a field', { initial: () => ({ u: foreignW, v: 0 }) }, 'initial.u', /field 'w'/],
  ['exact uses a field', { exact: () => ({ u: 0, v: foreignW }) }, 'exact.v', /field 'w'/],
  ['exact missing entry', { exact: () => ({ u: 0 }) }, 'exact.v'],
  [
    'rhs reads an undeclared field',
    { rhs: ({ u, w }: { u: Expr; w: Expr }) => ({ u, v: w }) },
    'rhs',
    /the callback's argument has no 'w' \(it holds u, v, fields, x, t\)/,
  ],
  [
    'rhs reads an undeclared field through fields',
    { rhs: ({ fields }: { fields: Record<string, Expr> }) => ({ u: fields.u, v: fields.w }) },
    'rhs',
    /the callback's fields has no 'w' \(it holds u, v\)/,
  ],
  ['initial reads t', { initial: ({ t }: { t: Expr }) => ({ u: t, v: 0 }) }, 'initial', /has no 't' \(it holds x\)/],
  [
    'initial reads an axis past dim',
    { initial: ({ x }: { x: Expr[] }) => ({ u: x[3], v: 0 }) },
    'initial',
    /x\[3\]: no such axis in dim 3 \(x\[0\] … x\[2\]\)/,
  ],
  [
    'rhs reads a negative axis',
    { rhs: ({ u, x }: { u: Expr; x: Expr[] }) => ({ u, v: x[-1] }) },
    'rhs',
    /x\[-1\]: no such axis/,
  ],
  [
    'rhs uses a JavaScript operator',
    { rhs: ({ u }: { u: Expr }) => ({ u, v: (u as unknown as number) * 2 }) },
    'rhs',
    /u was used as a JavaScript number \(by an operator .* use its methods \(u\.mul\(2\), u\.add\(v\)\) or ops/,
  ],
  [
    'exact adds a number with +',
    { exact: ({ t }: { t: Expr }) => ({ u: (t as unknown as number) + 1, v: 0 }) },
    'exact',
    /JavaScript number \(by an operator/,
  ],
  [
    'initial calls Math.cos on an axis',
    { initial: ({ x }: { x: Expr[] }) => ({ u: Math.cos(x[0] as unknown as number), v: 0 }) },
    'initial',
    /x\[0\] was used as a JavaScript number .* or a Math function such as Math\.cos.* ops \(ops\.cos\(u\)\)/,
  ],
  ['params not an object', { params: [1, 2] }, 'params'],
  ['params non-finite', { params: { k: Number.NaN } }, 'params.k'],
  ['params string', { params: { k: '1' } }, 'params.k'],
];

// t from a successful exact callback, to misuse in initial
function defineTime(): Expr {
  let t: Expr | undefined;
  defineProblem({
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary: 'none',
    fields: ['q'],
    initial: () => ({ q: 0 }),
    rhs: ({ t: time }) => {
      t = time;
      return { q: 0 };
    },
  });
  return t as Expr;
}

describe('defineProblem validation', () => {
  it('accepts the base spec', () => {
    expect(() => defineProblem(base() as unknown as ProblemSpec)).not.toThrow();
  });

  it.each(cases)('%s -> %s', (_name, patch, path, message) => {
    const spec = '__replace' in patch ? patch.__replace : { ...base(), ...patch };
    if (typeof spec === 'object' && spec !== null) {
      for (const [k, v] of Object.entries(spec)) if (v === undefined) delete (spec as Record<string, unknown>)[k];
    }
    const err = errorOf(spec);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SpecError');
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`${path}: `)).toBe(true);
    if (message) expect(err.message).toMatch(message);
  });

  it('keeps the original exception as the cause', () => {
    const boom = new RangeError('original');
    const err = errorOf({
      ...base(),
      exact: () => {
        throw boom;
      },
    });
    expect(err.path).toBe('exact');
    expect(err.cause).toBe(boom);
    expect(err.message).toMatch(/original/);
  });
});

describe('defineProblem result', () => {
  it('returns a frozen problem with the plan and without the callbacks', () => {
    const p = defineProblem(base() as unknown as ProblemSpec);
    expect(isProblem(p)).toBe(true);
    expect(isProblem({ ...p })).toBe(false);
    expect(p.name).toBe('base');
    expect(p.dim).toBe(3);
    expect(p.lower).toEqual([-1, -1, -1]);
    expect(p.upper).toEqual([1, 2, 3]);
    expect(p.boundary).toBe('dirichlet');
    expect(p.fields).toEqual(['u', 'v']);
    expect(p.params).toEqual({ k: 2 });
    expect(Object.keys(p).sort()).toEqual(['boundary', 'dim', 'fields', 'lower', 'name', 'params', 'plan', 'upper']);
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.plan.rhs.nodes)).toBe(true);
    expect(Object.isFrozen(p.plan.rhs.nodes[0])).toBe(true);
    expect(p.plan.dim).toBe(3);
    expect(p.plan.fields).toEqual(['u', 'v']);
    expect(p.plan.lower).toEqual([-1, -1, -1]);
    expect(p.plan.boundary).toBe('dirichlet');
    expect(p.plan.initial).not.toBeNull();
    expect(p.plan.exact).not.toBeNull();
    expect(p.plan.jets).toEqual({ gradient: false, pairs: [], laplacian: true });
  });

  it('wraps initialValues with shape and finiteness checks', () => {
    let calls = 0;
    const p = defineProblem({
      dim: 2,
      domain: { lower: 0, upper: 2 },
      boundary: 'none',
      fields: ['a', 'b'],
      initialValues: (points, n) => {
        calls++;
        const out = new Float64Array(2 * n);
        for (let k = 0; k < n; k++) {
          out[2 * k] = points[2 * k] + points[2 * k + 1];
          out[2 * k + 1] = calls > 2 ? Number.NaN : 1;
        }
        return out;
      },
      rhs: () => ({ a: 0, b: 0 }),
    });
    expect(calls).toBe(1); // probed once at the box centre
    expect(p.plan.initial).toBeNull();
    expect(p.initialValues).toBeTypeOf('function');
    const init = p.initialValues as (points: Float64Array, n: number) => Float64Array;
    expect(Array.from(init(Float64Array.from([1, 2, 0.5, 0.25]), 2))).toEqual([3, 1, 0.75, 1]);
    expect(() => init(Float64Array.from([1, 2]), 1)).toThrow(SpecError);
    // the message names the field and the point's coordinates
    expect(() => init(Float64Array.from([0.5, 0.25, 1.5, 0.125]), 2)).toThrow(
      "initialValues: value for field 'b' at x = (0.5, 0.25) (point 0 of the n given) is not finite (NaN)",
    );
    expect(() => init(Float64Array.from([1, 2, 3]), 1)).toThrow(RangeError);

    const wrongLength = () =>
      defineProblem({
        dim: 1,
        domain: { lower: 0, upper: 1 },
        boundary: 'none',
        fields: ['a'],
        initialValues: () => new Float64Array(3),
        rhs: () => ({ a: 0 }),
      });
    expect(wrongLength).toThrow(/initialValues: expected a Float64Array of n×k = 1×1 values/);
  });

  it('passes fields, x and t to rhs and binds every field by name', () => {
    let seen: Record<string, unknown> = {};
    defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['p', 'q'],
      initial: () => ({ p: 0, q: 0 }),
      rhs: (args) => {
        seen = { ...args };
        return { p: args.fields.q, q: args.p };
      },
    });
    expect(Object.keys(seen).sort()).toEqual(['fields', 'p', 'q', 't', 'x']);
    expect((seen.x as Expr[]).length).toBe(2);
    expect(seen.p).toBe((seen.fields as Record<string, Expr>).p);
  });

  it('lets a template string show an expression and a loop read every axis', () => {
    let shown = '';
    defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['p'],
      initial: ({ x }) => {
        shown = `${x[0].mul(2)}`;
        return { p: ops.sum(x.map((xi) => xi.pow(2))) };
      },
      rhs: ({ p }) => ({ p: lap(p) }),
    });
    expect(shown).toMatch(/x\[?0\]?/);
  });
});
