/** Parsers for flag values: each throws commander's InvalidArgumentError, which names the flag. */
import { InvalidArgumentError } from 'commander';

/** A finite number > 0. */
export function positiveNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !(v > 0)) {
    throw new InvalidArgumentError('expected a positive number.');
  }
  return v;
}

/** An integer in [min, max]. */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
      throw new InvalidArgumentError(`expected an integer ${range}.`);
    }
    return v;
  };
}

/** A comma-separated list of finite times ≥ 0, strictly increasing. */
export function timeList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const times = parts.map(Number);
  times.forEach((t, i) => {
    if (parts[i] === '' || !Number.isFinite(t) || t < 0) {
      throw new InvalidArgumentError(`expected comma-separated times ≥ 0 (e.g. 0,0.25,0.5); '${parts[i]}' is not one.`);
    }
    if (i > 0 && !(t > times[i - 1])) {
      throw new InvalidArgumentError(`times must be strictly increasing (${t} after ${times[i - 1]}).`);
    }
  });
  return times;
}

export type ParamValue = number | number[] | string;

/** `key=value` (repeatable) into an object: a number, a comma-separated vector, or a string. */
export function param(value: string, previous: Record<string, ParamValue> | undefined): Record<string, ParamValue> {
  const eq = value.indexOf('=');
  const key = eq < 0 ? '' : value.slice(0, eq).trim();
  const raw = eq < 0 ? '' : value.slice(eq + 1).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || raw === '') {
    throw new InvalidArgumentError('expected key=value (e.g. diffusivity=0.2, or velocity=1,0 for a vector).');
  }
  const asNumbers = raw.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
  let v: ParamValue = raw;
  if (asNumbers.every(Number.isFinite)) v = asNumbers.length === 1 && !raw.includes(',') ? asNumbers[0] : asNumbers;
  return { ...(previous ?? {}), [key]: v };
}

/**
 * `--gradient-weight`: one β ≥ 0 for every field (`1`), or `field=β` (repeatable, e.g. `u=1`).
 * Field names are checked by the solver's options (an unknown one names the allowed fields).
 */
export function gradientWeight(
  value: string,
  previous: number | Record<string, number> | undefined,
): number | Record<string, number> {
  const eq = value.indexOf('=');
  const raw = (eq < 0 ? value : value.slice(eq + 1)).trim();
  const beta = Number(raw);
  if (raw === '' || !Number.isFinite(beta) || beta < 0) {
    throw new InvalidArgumentError('expected β ≥ 0 for every field (e.g. 1) or field=β (e.g. u=1).');
  }
  // One bare β would silently replace the per-field ones (or be replaced by them).
  if (previous !== undefined && (eq < 0 || typeof previous === 'number')) {
    throw new InvalidArgumentError('a bare β applies to every field; give it once, or only field=β.');
  }
  if (eq < 0) return beta;
  const field = value.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new InvalidArgumentError(`'${field}' is not a field name.`);
  return { ...previous, [field]: beta };
}
