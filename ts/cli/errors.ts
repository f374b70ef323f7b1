/** Exit codes and the error for a bad command line. */

/** Exit statuses of `neural-ivp`. */
export const ExitCode = Object.freeze({
  ok: 0,
  /** A run failed (the solver, a native error, an unwritable output directory, …). */
  failure: 1,
  /** A bad command line or problem: unknown or malformed flags, a `SpecError`. */
  usage: 2,
  /** Interrupted (SIGINT). */
  interrupted: 130,
});

/** A bad command line; `flag` names the offending flag or argument (`--save-at`, `<problem>`). */
export class UsageError extends Error {
  readonly flag: string;

  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
    this.flag = flag;
  }
}
