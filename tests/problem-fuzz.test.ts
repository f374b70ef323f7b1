import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops, type ProblemSpec, SpecError } from '../ts/problem';
import { rng } from './problem-helpers';

type Spec = Record<string, unknown>;
type Args = Record<string, unknown> & { x: Expr[]; t: Expr; fields: Record<string, Expr> };
type Mutation = { root: string; apply: (s: Spec, r: () => number) => unknown };

const NAMES = ['u', 'v', 'phi', 'psi', 'rho', 'E_1', '_q', 'w2'];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

// A random valid spec: dimension 1..5, one to three fields, Laplacian/gradient dynamics.
function validSpec(r: () => number): Spec {
  const dim = 1 + Math.floor(r() * 5);
  const k = 1 + Math.floor(r() * 3);
  const fields = [...NAMES].sort(() => r() - 0.5).slice(0, k);
  const record = (f: (name: string, i: number) => unknown) => Object.fromEntries(fields.map((n, i) => [n, f(n, i)]));
  return {
    name: `fuzz-${dim}`,
    dim,
    domain: r() < 0.5 ? { lower: -1, upper: 1 } : { lower: Array(dim).fill(0), upper: Array(dim).fill(2) },
    boundary: r() < 0.5 ? 'dirichlet' : 'none',
    fields,
    initial: ({ x }: { x: Expr[] }) => record((_n, i) => ops.sin(x[i % dim]).mul(i + 1)),
    rhs: (a: Args) => record((n, i) => (i % 2 === 0 ? ops.lap(a[n] as Expr).mul(0.1) : ops.d(a[n] as Expr, 0))),
    ...(r() < 0.5 ? { exact: ({ x, t }: { x: Expr[]; t: Expr }) => record(() => x[0].mul(t)) } : {}),
    ...(r() < 0.5 ? { params: { a: 1, b: -2.5 } } : {}),
  };
}

// Earlier mutations may have broken fields or dim; later ones fall back to something usable.
const fieldsOf = (s: Spec): string[] =>
  Array.isArray(s.fields) && s.fields.length > 0 ? (s.fields as unknown[]).map(String) : ['u'];
const dimOf = (s: Spec): number => (typeof s.dim === 'number' && Number.isInteger(s.dim) && s.dim > 0 ? s.dim : 1);
const junk = [
  null,
  undefined,
  'str',
  '',
  true,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  [],
  {},
  () => 1,
  Symbol('s'),
];
const badNumbers = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1', null, undefined, {}, [1]];

// Replaces one rhs entry with the given builder's result.
function rhsEntry(build: (a: Args, s: Spec, r: () => number) => unknown): Mutation {
  return {
    root: 'rhs',
    apply: (s, r) => {
      const old = s.rhs as (a: Args) => Record<string, unknown>;
      const target = pick(r, fieldsOf(s));
      s.rhs = (a: Args) => ({ ...old(a), [target]: build(a, s, r) });
    },
  };
}

// Sets a top-level key to one of the given values (undefined deletes it).
function setKey(root: string, key: string, values: readonly unknown[]): Mutation {
  return {
    root,
    apply: (s, r) => {
      const v = pick(r, values);
      if (v === undefined) delete s[key];
      else s[key] = v;
    },
  };
}

const anyField = (a: Args, s: Spec, r: () => number) => a[pick(r, fieldsOf(s))] as Expr;

const mutations: Mutation[] = [
  { root: 'spec', apply: (_s, r) => ({ replace: pick(r, [null, 3, 'spec', [], true]) }) },
  setKey('dim', 'dim', [0, -1, 65, 1000, 2.5, Number.NaN, '3', null, undefined, [3]]),
  setKey('name', 'name', ['', 5, null, {}, []]),
  setKey('domain', 'domain', [undefined, null, 1, 'box', [], [-1, 1]]),
  {
    root: 'domain',
    apply: (s, r) => {
      const n = dimOf(s);
      const kind = Math.floor(r() * 6);
      if (kind === 0) s.domain = { lower: Array(n + 1).fill(-1), upper: 1 };
      else if (kind === 1)
        s.domain = {
          lower: -1,
          upper: Array(Math.max(0, n - 1))
            .fill(1)
            .concat(n === 1 ? [1, 1] : []),
        };
      else if (kind === 2)
        s.domain = { lower: Array.from({ length: n }, (_, i) => (i === n - 1 ? pick(r, badNumbers) : -1)), upper: 1 };
      else if (kind === 3) s.domain = { lower: 1, upper: pick(r, [1, 0, -5]) };
      else if (kind === 4) s.domain = { lower: -1, upper: 1, [pick(r, ['lo', 'hi', 'x'])]: 0 };
      else s.domain = { lower: pick(r, badNumbers), upper: 1 };
    },
  },
  setKey('boundary', 'boundary', ['circular', 'Dirichlet', undefined, null, 0, '']),
  setKey('fields', 'fields', [[], undefined, null, 'u', { u: 1 }]),
  {
    root: 'fields',
    apply: (s, r) => {
      const f = [...fieldsOf(s)];
      const bad = pick(r, ['x', 't', 'fields', '__proto__', '', '1a', 'a-b', 'a b', 3, null, f[0]]);
      f.splice(Math.floor(r() * (f.length + 1)), 0, bad as string);
      s.fields = f;
    },
  },
  setKey('initial', 'initialValues', [() => new Float64Array(0)]),
  setKey('initial', 'initial', [undefined]),
  setKey('initial', 'initial', [1, 'sin(x)', {}, [], null]),
  {
    root: 'initial',
    apply: (s, r) => {
      const old = s.initial as (a: { x: Expr[] }) => Record<string, unknown>;
      const f = fieldsOf(s);
      const kind = Math.floor(r() * 9);
      s.initial = (a: { x: Expr[] }) => {
        const rec = old(a);
        if (kind === 0) delete rec[pick(r, f)];
        else if (kind === 1) rec.extra_field = 1;
        else if (kind === 2)
          rec[pick(r, f)] = pick(
            r,
            junk.filter((j) => typeof j !== 'number' || !Number.isFinite(j)),
          );
        else if (kind === 3) throw new Error('user error');
        else if (kind === 4) throw 'a string';
        else if (kind === 5) return null;
        else if (kind === 6) return [rec];
        else if (kind === 7)
          rec[pick(r, f)] = a.x[dimOf(s)]; // undefined coordinate
        else return Promise.resolve(rec);
        return rec;
      };
    },
  },
  {
    root: 'initialValues',
    apply: (s, r) => {
      delete s.initial;
      const k = fieldsOf(s).length;
      const kind = Math.floor(r() * 5);
      s.initialValues = (_p: Float64Array, n: number) => {
        if (kind === 0) return new Float64Array(n * k + 1);
        if (kind === 1) return new Float64Array(n * k).fill(Number.NaN);
        if (kind === 2) return Array(n * k).fill(0);
        if (kind === 3) throw new Error('no data');
        return null;
      };
    },
  },
  {
    root: 'initialValues',
    apply: (s, r) => {
      delete s.initial;
      s.initialValues = pick(r, [1, 'f', {}, null]);
    },
  },
  setKey('rhs', 'rhs', [undefined, null, 1, 'lap(u)', {}]),
  {
    root: 'rhs',
    apply: (s, r) => {
      const old = s.rhs as (a: Args) => Record<string, unknown>;
      const kind = Math.floor(r() * 6);
      s.rhs = (a: Args) => {
        const rec = old(a);
        if (kind === 0) delete rec[pick(r, fieldsOf(s))];
        else if (kind === 1) rec[pick(r, ['zz', 'X', 'u_extra'])] = 0;
        else if (kind === 2) return anyField(a, s, r);
        else if (kind === 3) return 0;
        else if (kind === 4) throw new TypeError('bad rhs');
        else return Promise.resolve(rec);
        return rec;
      };
    },
  },
  rhsEntry((_a, _s, r) =>
    pick(
      r,
      junk.filter((j) => typeof j !== 'number' || !Number.isFinite(j)),
    ),
  ),
  rhsEntry((a, s, r) => ops.d(ops.lap(anyField(a, s, r)), 0)),
  rhsEntry((a, s, r) => ops.lap(ops.d(anyField(a, s, r), 0))),
  rhsEntry((a, s, r) => ops.d2(ops.d(anyField(a, s, r), 0), 0, 0)),
  rhsEntry((a, s, r) => ops.lap(ops.lap(anyField(a, s, r)))),
  rhsEntry((a, s, r) => ops.d(anyField(a, s, r), dimOf(s) + Math.floor(r() * 3))),
  rhsEntry((a, s, r) => ops.d(anyField(a, s, r), pick(r, [-1, 0.5, Number.NaN, '0', null]) as number)),
  rhsEntry((a, s, r) => ops.grad(anyField(a, s, r), dimOf(s) + 1)),
  rhsEntry((a, s, r) => anyField(a, s, r).mul(pick(r, badNumbers) as number)),
  rhsEntry((a, s, r) => anyField(a, s, r).pow(pick(r, badNumbers) as number)),
  rhsEntry((a, s, r) =>
    anyField(a, s, r).add(
      pick(
        r,
        junk.filter((j) => typeof j !== 'number'),
      ) as number,
    ),
  ),
  rhsEntry((_a, _s, r) => pick(r, [ops.log(-1), ops.sqrt(-4), ops.constant(1).div(0), ops.exp(1000)])),
  rhsEntry((a, s, r) => anyField(a, s, r).div(0)),
  rhsEntry((_a, _s, r) =>
    (ops[pick(r, ['sin', 'cos', 'exp', 'log', 'sqrt', 'tanh', 'abs'] as const)] as (v: unknown) => Expr)('x'),
  ),
  rhsEntry((_a, _s, r) => ops.sum(pick(r, [null, 'ab', 3, [1, 'b']]) as number[])),
  rhsEntry((a, _s, r) => ops.dot(a.x, pick(r, [[1, 2, 3, 4, 5, 6], null, 'ab']) as number[])),
  rhsEntry((_a, _s, r) => ops.constant(pick(r, badNumbers) as number)),
  rhsEntry((a, s) => a.x[dimOf(s)].mul(2)),
  rhsEntry(() => foreignField),
  {
    root: 'exact',
    apply: (s, r) => {
      const kind = Math.floor(r() * 4);
      const f = fieldsOf(s);
      if (kind === 0) s.exact = pick(r, [1, 'exact', {}, null]);
      else if (kind === 1) s.exact = () => Object.fromEntries(f.map((n) => [n, foreignField]));
      else if (kind === 2) s.exact = () => Object.fromEntries(f.slice(1).map((n) => [n, 0]));
      else s.exact = () => Object.fromEntries(f.map((n) => [n, ops.d(foreignField, 0)]));
    },
  },
  setKey('params', 'params', [[1, 2], null, 'p', { k: Number.NaN }, { k: '1' }, { k: null }, { k: {} }]),
  {
    root: '',
    apply: (s, r) => {
      s[pick(r, ['intial', 'rhs2', 'Dim', 'exactSolution', 'bc'])] = 1;
    },
  },
];

// A field expression belonging to another problem (name 'alien').
let foreignField: Expr = ops.constant(0);
defineProblem({
  dim: 1,
  domain: { lower: 0, upper: 1 },
  boundary: 'none',
  fields: ['alien'],
  initial: () => ({ alien: 0 }),
  rhs: ({ alien }) => {
    foreignField = alien;
    return { alien: 0 };
  },
});

describe('fuzz: malformed specs always throw SpecError', () => {
  it('valid base specs are accepted (the generator is sound)', () => {
    const r = rng(1);
    for (let i = 0; i < 200; i++) expect(() => defineProblem(validSpec(r) as unknown as ProblemSpec)).not.toThrow();
  });

  it('1,500 random malformed specs', () => {
    const r = rng(0xdecaf);
    const counts = new Map<string, number>();
    for (let iter = 0; iter < 1500; iter++) {
      let spec: unknown = validSpec(r);
      const n = r() < 0.7 ? 1 : 2 + Math.floor(r() * 2);
      const applied: Mutation[] = [];
      for (let m = 0; m < n; m++) {
        const mutation = pick(r, mutations);
        applied.push(mutation);
        const result = mutation.apply(spec as Spec, r);
        if (result && typeof result === 'object' && 'replace' in result) {
          spec = (result as { replace: unknown }).replace;
          break;
        }
      }
      let caught: unknown;
      try {
        defineProblem(spec as ProblemSpec);
      } catch (e) {
        caught = e;
      }
      const context = `iteration ${iter}, mutations ${applied.map((m) => `${m.root || '(unknown key)'}#${mutations.indexOf(m)}`).join(', ')}`;
      if (!(caught instanceof SpecError)) {
        throw new Error(`${context}: expected a SpecError, got ${caught === undefined ? 'no error' : String(caught)}`);
      }
      expect(caught).toBeInstanceOf(Error);
      expect(caught.name).toBe('SpecError');
      expect(typeof caught.path).toBe('string');
      expect(caught.path.length, context).toBeGreaterThan(0);
      expect(caught.message.startsWith(`${caught.path}: `), context).toBe(true);
      // With one mutation the error must point at the part that was broken.
      if (applied.length === 1 && applied[0].root !== '') {
        const root = applied[0].root;
        expect(
          caught.path === root || caught.path.startsWith(`${root}.`) || caught.path.startsWith(`${root}[`),
          `${context}: ${caught.message}`,
        ).toBe(true);
      }
      counts.set(applied[0].root, (counts.get(applied[0].root) ?? 0) + 1);
    }
    // every mutation family was exercised
    expect(counts.size).toBe(new Set(mutations.map((m) => m.root)).size);
  });
});
