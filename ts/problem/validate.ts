import { SpecError } from '../errors';
import { counted, describe } from './expr';

/** Small shared checks that throw `SpecError` at a given path. */

/** Largest spatial dimension a problem may have. */
export const MAX_DIM = 64;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function hasOwn(o: object, key: string): boolean {
  return Object.hasOwn(o, key);
}

export function expectObject(path: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw new SpecError(path, `expected a plain object, got ${describe(v)}`);
  return v;
}

/** Rejects own keys outside `allowed`, naming the first offender's path. */
export function rejectUnknownKeys(prefix: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      throw new SpecError(path, `unknown key '${key}' (allowed: ${allowed.join(', ')})`);
    }
  }
}

export function expectFinite(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new SpecError(path, `expected a finite number, got ${describe(v)}`);
  }
  return v;
}

export function expectInteger(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SpecError(path, `expected an integer in ${min}..${max}, got ${describe(v)}`);
  }
  return v;
}

export function expectPositive(path: string, v: unknown): number {
  const x = expectFinite(path, v);
  if (x <= 0) throw new SpecError(path, `expected a positive number, got ${x}`);
  return x;
}

export function expectNonNegative(path: string, v: unknown): number {
  const x = expectFinite(path, v);
  if (x < 0) throw new SpecError(path, `expected a non-negative number, got ${x}`);
  return x;
}

/** A number (broadcast to every axis) or an array of exactly `length` finite numbers. */
export function expectVector(path: string, v: unknown, length: number): number[] {
  if (typeof v === 'number') return new Array<number>(length).fill(expectFinite(path, v));
  if (!Array.isArray(v)) {
    throw new SpecError(path, `expected a number or an array of ${counted(length, 'number')}, got ${describe(v)}`);
  }
  if (v.length !== length) {
    throw new SpecError(path, `expected ${counted(length, 'number')} (one per axis), got ${v.length}`);
  }
  return v.map((x, i) => expectFinite(`${path}[${i}]`, x));
}

export function expectString(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new SpecError(path, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

export function expectFunction(path: string, v: unknown): (...args: never[]) => unknown {
  if (typeof v !== 'function') throw new SpecError(path, `expected a function, got ${describe(v)}`);
  return v as (...args: never[]) => unknown;
}

/** A record of finite numbers (problem parameters), copied. */
export function expectParams(path: string, v: unknown): Record<string, number> {
  const o = expectObject(path, v);
  const out: Record<string, number> = {};
  for (const key of Object.keys(o)) {
    if (key === '__proto__') throw new SpecError(`${path}.${key}`, 'reserved name');
    out[key] = expectFinite(`${path}.${key}`, o[key]);
  }
  return out;
}

/** Freezes an object graph of plain objects and arrays. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}
