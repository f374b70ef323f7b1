import { SpecError } from '../errors';
import { checkAxis, derivative, laplacian, resolveDimension, secondDerivativeOf } from './differentiate';
import { add, constant as constantExpr, describe, EXPRESSION_PATH, Expr, type ExprLike, mul, unary } from './expr';

function arg(v: unknown, what: string): Expr {
  if (v instanceof Expr) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return constantExpr(v);
  throw new SpecError(EXPRESSION_PATH, `${what}: expected an expression or a finite number, got ${describe(v)}`);
}

function list(v: unknown, what: string): Expr[] {
  if (!Array.isArray(v)) throw new SpecError(EXPRESSION_PATH, `${what}: expected an array, got ${describe(v)}`);
  return v.map((e, k) => arg(e, `${what}[${k}]`));
}

/**
 * The functions of the problem DSL. Every function accepts expressions and, where sensible, plain
 * numbers; a malformed argument is a SpecError.
 */
export const ops = Object.freeze({
  /** sin(a). */
  sin: (a: ExprLike): Expr => unary('sin', arg(a, 'sin')),
  /** cos(a). */
  cos: (a: ExprLike): Expr => unary('cos', arg(a, 'cos')),
  /** e^a. */
  exp: (a: ExprLike): Expr => unary('exp', arg(a, 'exp')),
  /** The natural logarithm ln(a). */
  log: (a: ExprLike): Expr => unary('log', arg(a, 'log')),
  /** √a. */
  sqrt: (a: ExprLike): Expr => unary('sqrt', arg(a, 'sqrt')),
  /** tanh(a). */
  tanh: (a: ExprLike): Expr => unary('tanh', arg(a, 'tanh')),
  /** |a|. */
  abs: (a: ExprLike): Expr => unary('abs', arg(a, 'abs')),
  /** Σ_i ∂²e/∂x_i²; `dim` is needed only outside defineProblem callbacks. */
  lap: (e: ExprLike, dim?: number): Expr => {
    const x = arg(e, 'lap');
    return laplacian(x, resolveDimension(x, dim, 'lap', false));
  },
  /** [∂e/∂x_0, …, ∂e/∂x_{D-1}]; `dim` is needed only outside defineProblem callbacks. */
  grad: (e: ExprLike, dim?: number): Expr[] => {
    const x = arg(e, 'grad');
    const n = resolveDimension(x, dim, 'grad', true);
    return Array.from({ length: n }, (_, i) => derivative(x, i));
  },
  /** ∂e/∂x_i. */
  d: (e: ExprLike, i: number): Expr => derivative(arg(e, 'd'), checkAxis(i, 'd')),
  /** ∂²e/∂x_i∂x_j. */
  d2: (e: ExprLike, i: number, j: number): Expr =>
    secondDerivativeOf(arg(e, 'd2'), checkAxis(i, 'd2'), checkAxis(j, 'd2')),
  /** Alias of `d`, convenient for coefficient fields such as a metric. */
  diff: (e: ExprLike, i: number): Expr => derivative(arg(e, 'diff'), checkAxis(i, 'diff')),
  /** Σ of an array of expressions (0 for an empty array). */
  sum: (terms: readonly ExprLike[]): Expr => list(terms, 'sum').reduce<Expr>((s, e) => add(s, e), constantExpr(0)),
  /** Σ_k a_k b_k of two arrays of equal length. */
  dot: (a: readonly ExprLike[], b: readonly ExprLike[]): Expr => {
    const u = list(a, 'dot');
    const v = list(b, 'dot');
    if (u.length !== v.length) {
      throw new SpecError(EXPRESSION_PATH, `dot: arrays of different lengths (${u.length} and ${v.length})`);
    }
    return u.reduce<Expr>((s, e, k) => add(s, mul(e, v[k])), constantExpr(0));
  },
  /** A constant expression. */
  constant: (c: number): Expr => {
    if (typeof c !== 'number' || !Number.isFinite(c)) {
      throw new SpecError(EXPRESSION_PATH, `constant: expected a finite number, got ${describe(c)}`);
    }
    return constantExpr(c);
  },
});

export type Ops = typeof ops;
