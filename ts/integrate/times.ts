/**
 * The checks of a run's save times and wall-clock budget, shared by `integrate` and
 * `NeuralIVP.evolve` so that both judge them the same way.
 */

/**
 * `saveAt`: a non-empty array of finite, strictly increasing numbers in [t0, T], copied. `caller`
 * prefixes the messages (`evolve: saveAt[1] must be …`).
 */
export function checkSaveAt(saveAt: unknown, t0: number, T: number, caller: string): number[] {
  if (!Array.isArray(saveAt)) throw new TypeError(`${caller}: saveAt must be an array of times`);
  if (saveAt.length === 0) throw new RangeError(`${caller}: saveAt must hold at least one time`);
  const range = t0 === 0 ? `[0, T] = [0, ${T}]` : `[t0, T] = [${t0}, ${T}]`;
  saveAt.forEach((s: unknown, i: number) => {
    if (typeof s !== 'number') throw new TypeError(`${caller}: saveAt[${i}] must be a number, got ${typeof s}`);
    if (!Number.isFinite(s) || s < t0 || s > T) {
      throw new RangeError(`${caller}: saveAt[${i}] must be a finite time in ${range}, got ${String(s)}`);
    }
    if (i > 0 && !(s > saveAt[i - 1])) {
      throw new RangeError(
        `${caller}: saveAt must be strictly increasing (saveAt[${i}] = ${s} after ${saveAt[i - 1]})`,
      );
    }
  });
  return [...saveAt];
}

/** `maxSeconds`: absent, or a positive finite number of seconds. */
export function checkMaxSeconds(maxSeconds: unknown, caller: string): number | undefined {
  if (maxSeconds === undefined) return undefined;
  if (typeof maxSeconds !== 'number') {
    throw new TypeError(`${caller}: maxSeconds must be a number, got ${typeof maxSeconds}`);
  }
  if (!(maxSeconds > 0) || maxSeconds === Number.POSITIVE_INFINITY) {
    throw new RangeError(
      `${caller}: maxSeconds must be a positive finite number of seconds, got ${String(maxSeconds)}`,
    );
  }
  return maxSeconds;
}
