import { constant, type Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import {
  expectInteger,
  expectObject,
  expectString,
  expectVector,
  MAX_DIM,
  rejectUnknownKeys,
} from '../problem/validate';

/** Shared option handling for the catalogue problems: every option is optional, bad ones are SpecErrors. */

export type OptionReader = {
  /** The option's value when given, else `fallback`, passed through `check`. */
  get<T>(key: string, fallback: T, check: (path: string, v: unknown) => T): T;
  name(fallback: string): string;
};

export function readOptions(options: unknown, allowed: readonly string[]): OptionReader {
  const o = options === undefined ? {} : expectObject('options', options);
  rejectUnknownKeys('', o, [...allowed, 'name']);
  return {
    get: (key, fallback, check) => (o[key] === undefined ? fallback : check(key, o[key])),
    name: (fallback) => (o.name === undefined ? fallback : expectString('name', o.name)),
  };
}

export const integerDim = (path: string, v: unknown): number => expectInteger(path, v, 1, MAX_DIM);

export const vectorOf =
  (length: number) =>
  (path: string, v: unknown): number[] =>
    expectVector(path, v, length);

/** Π of expressions (1 for none). */
export function product(terms: readonly Expr[]): Expr {
  return terms.reduce<Expr>((p, e) => p.mul(e), constant(1));
}

/** Σ_i (x_i - c_i)². */
export function squaredDistance(x: readonly Expr[], c: readonly number[]): Expr {
  return ops.sum(x.map((xi, i) => xi.sub(c[i]).pow(2)));
}

/** Flattens vector options into params entries `key[i]`. */
export function vectorParams(key: string, v: readonly number[]): Record<string, number> {
  return Object.fromEntries(v.map((x, i) => [`${key}[${i}]`, x]));
}
