import { SpecError } from '../errors';
import { compileProblem } from './compile';
import { withDimension } from './context';
import {
  coord,
  counted,
  describe,
  EXPRESSION_PATH,
  type Expr,
  type ExprLike,
  fieldTerm,
  time,
  toExpr,
  walk,
} from './expr';
import type { Boundary, BoundarySpec, CompiledProblem } from './plan';
import {
  deepFreeze,
  expectFinite,
  expectFunction,
  expectInteger,
  expectObject,
  expectParams,
  expectString,
  hasOwn,
  isPlainObject,
  MAX_DIM,
  rejectUnknownKeys,
} from './validate';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = ['x', 't', 'fields', '__proto__'];
const SPEC_KEYS = ['name', 'dim', 'domain', 'boundary', 'fields', 'initial', 'initialValues', 'rhs', 'exact', 'params'];

/** One entry per field: an expression or a number. */
export type FieldRecord<F extends string> = { [K in F]: ExprLike };

/** The `initial` callback's argument. */
export interface InitialArgs {
  /** The D coordinate expressions. */
  readonly x: readonly Expr[];
}

/** The `exact` callback's argument. */
export interface ExactArgs {
  /** The D coordinate expressions. */
  readonly x: readonly Expr[];
  /** The time expression. */
  readonly t: Expr;
}

/** The rhs callback's argument: every field by name, plus `fields` (the same, as an object), `x` and `t`. */
export type RhsArgs<F extends string> = { readonly [K in F]: Expr } & {
  /** Every field by name, as an object. */
  readonly fields: { readonly [K in F]: Expr };
  /** The D coordinate expressions. */
  readonly x: readonly Expr[];
  /** The time expression. */
  readonly t: Expr;
};

/** What `defineProblem` takes: a PDE u_t = L[u] on a box, as symbolic expressions (docs/api.md §1). */
export interface ProblemSpec<F extends string = string> {
  /** Used in reports. */
  name?: string;
  /** Spatial dimension D, 1..64. */
  dim: number;
  /** A number (every axis) or an array of D numbers each; lower < upper on every axis. */
  domain: {
    /** The box's lower corner. */
    lower: number | readonly number[];
    /** The box's upper corner. */
    upper: number | readonly number[];
  };
  /**
   * 'dirichlet': zero on the box faces (built into the network); 'periodic': every field repeats
   * with the box along every axis (built into the network; u0 must repeat too); 'none': no
   * constraint. One condition for every axis, or an array of one per axis: a channel periodic
   * along x and zero on the faces of y is `['periodic', 'dirichlet']`.
   */
  boundary: BoundarySpec;
  /** Names of the components of u. */
  fields: readonly F[];
  /** Closed-form initial condition of x (exactly one of `initial` and `initialValues`). */
  initial?: (args: InitialArgs) => FieldRecord<F>;
  /** Initial values at points: row-major n×D in, row-major n×k out. */
  initialValues?: (points: Float64Array, n: number) => Float64Array;
  /** du/dt, one entry per field. */
  rhs: (args: RhsArgs<F>) => FieldRecord<F>;
  /** Optional closed-form solution of x and t, for error reports. */
  exact?: (args: ExactArgs) => FieldRecord<F>;
  /** Named numbers, echoed into reports. */
  params?: Readonly<Record<string, number>>;
}

/** A validated, compiled problem. Frozen. */
export interface Problem {
  /** The spec's `name` (default 'problem'). */
  readonly name: string;
  /** Spatial dimension D. */
  readonly dim: number;
  /** The box's lower corner, D numbers. */
  readonly lower: number[];
  /** The box's upper corner, D numbers. */
  readonly upper: number[];
  /**
   * The spec's boundary condition: one `Boundary` when every axis has the same (an array of equal
   * entries reads as that one), else an array of one per axis.
   */
  readonly boundary: BoundarySpec;
  /** The field names, in order: the k outputs of the network. */
  readonly fields: string[];
  /** The spec's named numbers. */
  readonly params: Readonly<Record<string, number>>;
  /** The compiled plan that native code evaluates. */
  readonly plan: CompiledProblem;
  /** Present when the spec gave `initialValues`: the user function, wrapped with shape checks. */
  readonly initialValues?: (points: Float64Array, n: number) => Float64Array;
}

// Shared by every copy of the package in one process (the ESM and CommonJS builds are separate
// copies), so a problem defined through `require` is recognised by the ESM solver and CLI.
const registryKey = Symbol.for('neural-ivp.defined-problems');
const registry = globalThis as { [registryKey]?: WeakSet<object> };
registry[registryKey] ??= new WeakSet<object>();
const defined: WeakSet<object> = registry[registryKey];

/** True for objects returned by `defineProblem`. */
export function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && defined.has(v);
}

/**
 * Validates a problem spec, calls its callbacks once with symbolic arguments, and compiles the
 * resulting expressions to a plan. Every malformed spec is a `SpecError` with a path.
 */
export function defineProblem<const F extends string>(spec: ProblemSpec<F>): Problem {
  const s = expectObject('spec', spec as unknown);
  rejectUnknownKeys('', s, SPEC_KEYS);

  const name = s.name === undefined ? 'problem' : expectString('name', s.name);
  const dim = expectInteger('dim', s.dim, 1, MAX_DIM);
  const { lower, upper } = readDomain(s.domain, dim);
  const boundary = readBoundary(s.boundary, dim);
  const fields = readFields(s.fields);

  const hasInitial = s.initial !== undefined;
  const hasValues = s.initialValues !== undefined;
  if (hasInitial === hasValues) {
    throw new SpecError(
      'initial',
      hasInitial ? 'give either initial or initialValues, not both' : 'missing: give initial or initialValues',
    );
  }
  const initialFn = hasInitial ? expectFunction('initial', s.initial) : undefined;
  const valuesFn = hasValues ? expectFunction('initialValues', s.initialValues) : undefined;
  if (s.rhs === undefined) throw new SpecError('rhs', 'missing');
  const rhsFn = expectFunction('rhs', s.rhs);
  const exactFn = s.exact === undefined ? undefined : expectFunction('exact', s.exact);
  const params = s.params === undefined ? {} : expectParams('params', s.params);

  const x = coordinates(dim);
  const t = time();
  const fieldExprs = strict(
    'fields',
    Object.fromEntries(fields.map((f, k) => [f, fieldTerm(k, f, { term: 'value' })])) as Record<string, Expr>,
  );

  const initial =
    initialFn === undefined
      ? null
      : readRecord('initial', invoke('initial', dim, initialFn, strict('argument', { x })), fields, dim, 'initial');
  const rhs = readRecord(
    'rhs',
    invoke('rhs', dim, rhsFn, strict('argument', { ...fieldExprs, fields: fieldExprs, x, t })),
    fields,
    dim,
    'rhs',
  );
  const exact =
    exactFn === undefined
      ? null
      : readRecord('exact', invoke('exact', dim, exactFn, strict('argument', { x, t })), fields, dim, 'exact');

  const plan = compileProblem({ dim, fields, lower, upper, boundary, rhs, initial, exact });
  const problem: Problem = {
    name,
    dim,
    lower,
    upper,
    boundary,
    fields,
    params,
    plan,
    ...(valuesFn === undefined ? {} : { initialValues: wrapInitialValues(valuesFn, dim, lower, upper, fields) }),
  };
  deepFreeze(problem);
  defined.add(problem);
  return problem;
}

function readDomain(v: unknown, dim: number): { lower: number[]; upper: number[] } {
  if (v === undefined) throw new SpecError('domain', 'missing: give { lower, upper }');
  const o = expectObject('domain', v);
  rejectUnknownKeys('domain', o, ['lower', 'upper']);
  const lower = readBound('domain.lower', o.lower, dim);
  const upper = readBound('domain.upper', o.upper, dim);
  for (let i = 0; i < dim; i++) {
    if (!(lower[i] < upper[i])) {
      const at = Array.isArray(o.upper) ? `domain.upper[${i}]` : 'domain.upper';
      throw new SpecError(at, `must be greater than the lower bound on axis ${i} (${lower[i]} >= ${upper[i]})`);
    }
  }
  return { lower, upper };
}

function readBound(path: string, v: unknown, dim: number): number[] {
  if (v === undefined) throw new SpecError(path, 'missing');
  if (typeof v === 'number') return new Array<number>(dim).fill(expectFinite(path, v));
  if (!Array.isArray(v))
    throw new SpecError(path, `expected a number or an array of ${counted(dim, 'number')}, got ${describe(v)}`);
  if (v.length !== dim)
    throw new SpecError(path, `expected ${counted(dim, 'number')} (dim is ${dim}), got ${v.length}`);
  return v.map((b, i) => expectFinite(`${path}[${i}]`, b));
}

function readBoundary(v: unknown, dim: number): BoundarySpec {
  const one = (path: string, b: unknown): Boundary => {
    if (b === 'dirichlet' || b === 'none' || b === 'periodic') return b;
    throw new SpecError(
      path,
      `expected 'dirichlet', 'periodic' or 'none'${path === 'boundary' ? ` (or an array of ${dim}, one per axis)` : ''}, got ${b === undefined ? 'nothing' : describe(b)}`,
    );
  };
  if (!Array.isArray(v)) return one('boundary', v);
  if (v.length !== dim)
    throw new SpecError(
      'boundary',
      `expected ${counted(dim, 'condition')}, one per axis (dim is ${dim}), got ${v.length}`,
    );
  const each = v.map((b, i) => one(`boundary[${i}]`, b));
  return each.every((b) => b === each[0]) ? each[0] : each;
}

function readFields(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new SpecError('fields', `expected a non-empty array of field names, got ${describe(v)}`);
  }
  const seen = new Set<string>();
  return v.map((f, k) => {
    const path = `fields[${k}]`;
    if (typeof f !== 'string' || !IDENTIFIER.test(f)) {
      throw new SpecError(path, `expected an identifier (letters, digits, _), got ${describe(f)}`);
    }
    if (RESERVED.includes(f))
      throw new SpecError(path, `'${f}' is reserved (field names may not be ${RESERVED.join(', ')})`);
    if (seen.has(f)) throw new SpecError(path, `duplicate field name '${f}'`);
    seen.add(f);
    return f;
  });
}

// Names a caller may probe on any object (a thenable check, JSON.stringify) without meaning a field.
const PROBES = new Set(['then', 'toJSON']);

/**
 * A callback's argument, frozen, that answers a name it does not hold with a SpecError listing
 * the names it has: a misspelt or undeclared field would otherwise reach the callback as
 * `undefined` and fail far from the cause.
 */
function strict<T extends object>(what: string, arg: T): T {
  return new Proxy(Object.freeze(arg), {
    get(target, key, receiver) {
      if (typeof key === 'string' && !(key in target) && !PROBES.has(key)) {
        const names = Object.keys(target).join(', ');
        throw new SpecError(EXPRESSION_PATH, `the callback's ${what} has no '${key}' (it holds ${names})`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/** x[0] … x[D − 1], frozen; x[i] outside them is a SpecError naming i and D. */
function coordinates(dim: number): readonly Expr[] {
  return new Proxy(Object.freeze(Array.from({ length: dim }, (_, i) => coord(i))), {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^-?\d+$/.test(key) && !(Number(key) >= 0 && Number(key) < dim)) {
        throw new SpecError(EXPRESSION_PATH, `x[${key}]: no such axis in dim ${dim} (x[0] … x[${dim - 1}])`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/**
 * Calls a callback once with symbolic arguments, with the problem's dimension in context. Errors
 * from expression building are re-pathed to the callback; any other exception becomes a
 * SpecError at the callback's path with the original message (and the original as `cause`).
 */
function invoke(path: string, dim: number, fn: (...args: never[]) => unknown, arg: object): unknown {
  let result: unknown;
  try {
    result = withDimension(dim, () => (fn as (a: object) => unknown)(arg));
  } catch (e) {
    if (e instanceof SpecError) {
      if (e.path === EXPRESSION_PATH) throw new SpecError(path, e.detail, { cause: e });
      throw e;
    }
    const message = e instanceof Error ? e.message : String(e);
    throw new SpecError(path, `the callback threw: ${message}`, { cause: e });
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    throw new SpecError(path, 'the callback returned a promise; it must return its record synchronously');
  }
  return result;
}

type Mode = 'initial' | 'rhs' | 'exact';

function readRecord(path: string, result: unknown, fields: readonly string[], dim: number, mode: Mode): Expr[] {
  const list = fields.join(', ');
  if (!isPlainObject(result)) {
    throw new SpecError(path, `expected an object with one entry per field (${list}), got ${describe(result)}`);
  }
  for (const key of Object.keys(result)) {
    if (!fields.includes(key)) throw new SpecError(`${path}.${key}`, `unknown field '${key}' (fields are ${list})`);
  }
  return fields.map((f) => {
    const at = `${path}.${f}`;
    if (!hasOwn(result, f) || result[f] === undefined) throw new SpecError(at, 'missing');
    const e = toExpr(result[f], at);
    checkReferences(at, e, fields, dim, mode);
    return e;
  });
}

function checkReferences(path: string, e: Expr, fields: readonly string[], dim: number, mode: Mode): void {
  const what = mode === 'initial' ? 'the initial condition' : 'the exact solution';
  walk([e], (node) => {
    const n = node.node;
    if (n.kind === 'x' && n.axis >= dim) throw new SpecError(path, `x[${n.axis}] is out of range for dim ${dim}`);
    if (n.kind === 't' && mode === 'initial') throw new SpecError(path, `${what} may depend on x only, not on t`);
    if (n.kind !== 'field') return;
    if (mode !== 'rhs') throw new SpecError(path, `${what} may not depend on the field '${n.name}'`);
    if (fields[n.field] !== n.name) {
      throw new SpecError(path, `unknown field '${n.name}' (fields are ${fields.join(', ')})`);
    }
    const axis = n.jet.term === 'd' ? n.jet.i : n.jet.term === 'd2' ? n.jet.j : -1;
    if (axis >= dim) throw new SpecError(path, `derivative along axis ${axis} is out of range for dim ${dim}`);
  });
}

/**
 * Wraps `initialValues` with shape and finiteness checks, and probes it once at the centre of the
 * box so that a malformed function fails at definition time.
 */
function wrapInitialValues(
  fn: (...args: never[]) => unknown,
  dim: number,
  lower: readonly number[],
  upper: readonly number[],
  fields: readonly string[],
): (points: Float64Array, n: number) => Float64Array {
  const k = fields.length;
  const user = fn as (points: Float64Array, n: number) => unknown;
  const wrapped = (points: Float64Array, n: number): Float64Array => {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`initialValues: n must be a non-negative integer, got ${n}`);
    if (!(points instanceof Float64Array) || points.length !== n * dim) {
      throw new RangeError(`initialValues: points must be a Float64Array of n×D = ${n * dim} numbers`);
    }
    let out: unknown;
    try {
      out = user(points, n);
    } catch (e) {
      if (e instanceof SpecError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new SpecError('initialValues', `the callback threw: ${message}`, { cause: e });
    }
    if (!(out instanceof Float64Array) || out.length !== n * k) {
      const got = out instanceof Float64Array ? `a Float64Array of length ${out.length}` : describe(out);
      throw new SpecError('initialValues', `expected a Float64Array of n×k = ${n}×${k} values, got ${got}`);
    }
    for (let q = 0; q < out.length; q++) {
      if (!Number.isFinite(out[q])) {
        const i = Math.floor(q / k);
        const x = Array.from(points.subarray(i * dim, (i + 1) * dim), (c) => Number(c.toPrecision(4))).join(', ');
        throw new SpecError(
          'initialValues',
          `value for field '${fields[q % k]}' at x = (${x}) (point ${i} of the n given) is not finite (${out[q]})`,
        );
      }
    }
    return out;
  };
  wrapped(
    Float64Array.from(lower, (l, i) => 0.5 * (l + upper[i])),
    1,
  );
  return wrapped;
}
