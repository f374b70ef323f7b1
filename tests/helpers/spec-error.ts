// The SpecError a call throws, for tests that check its path and message.
import { SpecError } from '../../ts/errors';

/** The SpecError `f` throws; any other outcome fails the test. */
export function specError(f: () => unknown): SpecError {
  try {
    f();
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError');
}
