import { SpecError } from '../errors';
import { contextDimension } from './context';
import {
  add,
  constant,
  describe,
  div,
  EXPRESSION_PATH,
  type Expr,
  fieldTerm,
  type JetTerm,
  mul,
  neg,
  ONE,
  pow,
  sub,
  type UnaryOp,
  unary,
  ZERO,
} from './expr';
import { MAX_DIM } from './validate';

/**
 * Symbolic differentiation with respect to the spatial coordinates x_i (time is never a
 * differentiation variable here). A field's derivatives become the jet terms the network supplies:
 * value -> d_i -> d2_ij (i <= j); the Laplacian of a field is its own `lap` jet term and is never
 * expanded into Σ d2_ii. Asking for a field derivative of total order above 2 is a SpecError.
 *
 * Results are memoised per (expression, axis), so differentiating a DAG with shared
 * subexpressions costs time linear in its size and the results share nodes too.
 */

function orderError(name: string, jet: JetTerm, what: string): SpecError {
  const have = jet.term === 'd' ? 'a first derivative' : jet.term === 'd2' ? 'a second derivative' : 'the Laplacian';
  return new SpecError(
    EXPRESSION_PATH,
    `${what} of ${have} of field '${name}' has total order above 2; fields may be differentiated at most twice`,
  );
}

/** Validates a derivative axis: a non-negative integer, below D when D is known. */
export function checkAxis(i: unknown, what: string): number {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= MAX_DIM) {
    throw new SpecError(
      EXPRESSION_PATH,
      `${what}: the axis must be an integer in 0..${MAX_DIM - 1}, got ${describe(i)}`,
    );
  }
  const dim = contextDimension();
  if (dim !== undefined && i >= dim) {
    throw new SpecError(EXPRESSION_PATH, `${what}: axis ${i} is out of range for dim ${dim}`);
  }
  return i;
}

/**
 * The dimension used by `lap` and `grad`: an explicit `dim`, else the dimension of the problem
 * whose callback is running. Outside callbacks a field-free expression may omit it for `lap`
 * (axes it does not reference contribute nothing).
 */
export function resolveDimension(e: Expr, dim: unknown, what: string, required: boolean): number {
  const context = contextDimension();
  if (dim !== undefined) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
      throw new SpecError(EXPRESSION_PATH, `${what}: dim must be an integer in 1..${MAX_DIM}, got ${describe(dim)}`);
    }
    if (context !== undefined && dim !== context) {
      throw new SpecError(EXPRESSION_PATH, `${what}: dim ${dim} differs from the problem's dim ${context}`);
    }
    if (e.maxAxis >= dim) {
      throw new SpecError(
        EXPRESSION_PATH,
        `${what}: the expression uses axis ${e.maxAxis}, out of range for dim ${dim}`,
      );
    }
    return dim;
  }
  if (context !== undefined) return context;
  if (required || e.dependsOnField) {
    throw new SpecError(
      EXPRESSION_PATH,
      `${what}: the dimension is unknown outside defineProblem callbacks; pass it as ${what}(e, dim)`,
    );
  }
  return e.maxAxis + 1;
}

// g'(a) and g''(a) for the elementwise functions, given self = g(a).
function firstDerivative(op: UnaryOp, a: Expr, self: Expr): Expr {
  switch (op) {
    case 'neg':
      return constant(-1);
    case 'sin':
      return unary('cos', a);
    case 'cos':
      return neg(unary('sin', a));
    case 'exp':
      return self;
    case 'log':
      return div(ONE, a);
    case 'sqrt':
      return div(constant(0.5), self);
    case 'tanh':
      return sub(ONE, mul(self, self));
    case 'abs':
      return unary('sign', a);
    case 'sign':
      return ZERO;
  }
}

function secondDerivative(op: UnaryOp, a: Expr, self: Expr): Expr {
  switch (op) {
    case 'neg':
      return ZERO;
    case 'sin':
      return neg(self);
    case 'cos':
      return neg(self);
    case 'exp':
      return self;
    case 'log':
      return neg(div(ONE, mul(a, a)));
    case 'sqrt':
      return div(constant(-0.25), mul(a, self));
    case 'tanh':
      return mul(constant(-2), mul(self, sub(ONE, mul(self, self))));
    case 'abs':
    case 'sign':
      return ZERO;
  }
}

const firstCache = new WeakMap<Expr, Map<number, Expr>>();

/** ∂e/∂x_i (axis assumed validated). */
export function derivative(e: Expr, i: number): Expr {
  let byAxis = firstCache.get(e);
  if (byAxis === undefined) {
    byAxis = new Map();
    firstCache.set(e, byAxis);
  }
  const hit = byAxis.get(i);
  if (hit !== undefined) return hit;
  const r = computeDerivative(e, i);
  byAxis.set(i, r);
  return r;
}

function computeDerivative(e: Expr, i: number): Expr {
  const n = e.node;
  switch (n.kind) {
    case 'const':
    case 't':
      return ZERO;
    case 'x':
      return n.axis === i ? ONE : ZERO;
    case 'field':
      if (n.jet.term === 'value') return fieldTerm(n.field, n.name, { term: 'd', i });
      if (n.jet.term === 'd') {
        const a = Math.min(i, n.jet.i);
        const b = Math.max(i, n.jet.i);
        return fieldTerm(n.field, n.name, { term: 'd2', i: a, j: b });
      }
      throw orderError(n.name, n.jet, `the derivative along axis ${i}`);
    case 'unary': {
      const da = derivative(n.a, i);
      if (da === ZERO) return ZERO;
      if (n.op === 'neg') return neg(da);
      return mul(firstDerivative(n.op, n.a, e), da);
    }
    case 'pow': {
      const da = derivative(n.a, i);
      if (da === ZERO) return ZERO;
      return mul(mul(constant(n.exponent), pow(n.a, n.exponent - 1)), da);
    }
    case 'binary': {
      const da = derivative(n.a, i);
      const db = derivative(n.b, i);
      switch (n.op) {
        case 'add':
          return add(da, db);
        case 'sub':
          return sub(da, db);
        case 'mul':
          return add(mul(da, n.b), mul(n.a, db));
        case 'div':
          if (db === ZERO) return div(da, n.b);
          // (a/b)' = (a' b - a b') / b²
          return div(sub(mul(da, n.b), mul(n.a, db)), mul(n.b, n.b));
      }
    }
  }
}

/** ∂²e/∂x_i∂x_j (axes assumed validated). */
export function secondDerivativeOf(e: Expr, i: number, j: number): Expr {
  return derivative(derivative(e, Math.min(i, j)), Math.max(i, j));
}

/** ∇a·∇b over `dim` axes. */
function gradDot(a: Expr, b: Expr, dim: number): Expr {
  if (!isSpatial(a) || !isSpatial(b)) return ZERO;
  let s = ZERO;
  for (let i = 0; i < dim; i++) s = add(s, mul(derivative(a, i), derivative(b, i)));
  return s;
}

function isSpatial(e: Expr): boolean {
  return e.dependsOnField || e.maxAxis >= 0;
}

const lapCache = new WeakMap<Expr, Map<number, Expr>>();

/**
 * The Laplacian Σ_i ∂²e/∂x_i² over `dim` axes, by rules that keep a field's Laplacian as its
 * `lap` jet term: lap(a ± b) = lap a ± lap b, lap(ab) = a lap b + b lap a + 2∇a·∇b,
 * lap(g(a)) = g'(a) lap a + g''(a)|∇a|², a/b = a·b⁻¹.
 */
export function laplacian(e: Expr, dim: number): Expr {
  let byDim = lapCache.get(e);
  if (byDim === undefined) {
    byDim = new Map();
    lapCache.set(e, byDim);
  }
  const hit = byDim.get(dim);
  if (hit !== undefined) return hit;
  const r = computeLaplacian(e, dim);
  byDim.set(dim, r);
  return r;
}

function computeLaplacian(e: Expr, dim: number): Expr {
  const n = e.node;
  if (!isSpatial(e)) return ZERO;
  switch (n.kind) {
    case 'const':
    case 't':
    case 'x':
      return ZERO;
    case 'field':
      if (n.jet.term === 'value') return fieldTerm(n.field, n.name, { term: 'lap' });
      throw orderError(n.name, n.jet, 'the Laplacian');
    case 'unary': {
      if (n.op === 'neg') return neg(laplacian(n.a, dim));
      const first = mul(firstDerivative(n.op, n.a, e), laplacian(n.a, dim));
      const g2 = secondDerivative(n.op, n.a, e);
      if (g2 === ZERO) return first;
      return add(first, mul(g2, gradDot(n.a, n.a, dim)));
    }
    case 'pow': {
      const p = n.exponent;
      const first = mul(mul(constant(p), pow(n.a, p - 1)), laplacian(n.a, dim));
      const g2 = p === 1 ? ZERO : mul(constant(p * (p - 1)), pow(n.a, p - 2));
      if (g2 === ZERO) return first;
      return add(first, mul(g2, gradDot(n.a, n.a, dim)));
    }
    case 'binary':
      switch (n.op) {
        case 'add':
          return add(laplacian(n.a, dim), laplacian(n.b, dim));
        case 'sub':
          return sub(laplacian(n.a, dim), laplacian(n.b, dim));
        case 'mul':
          return add(
            add(mul(n.a, laplacian(n.b, dim)), mul(n.b, laplacian(n.a, dim))),
            mul(constant(2), gradDot(n.a, n.b, dim)),
          );
        case 'div':
          if (!isSpatial(n.b)) return div(laplacian(n.a, dim), n.b);
          return laplacian(mul(n.a, pow(n.b, -1)), dim);
      }
  }
}
