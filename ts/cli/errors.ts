/** Exit codes and the error for a bad command line. */

/** Exit statuses of `neural-ivp`. */
export const ExitCode = Object.freeze({
  ok: 0,
  /** A run failed (the solver, a native error, an unwritable output directory, …). */
  failure: 1,
  /** A bad command line or problem: unknown or malformed flags, a `SpecError`. */
  usage: 2,
  /** Interrupted (SIGINT; SIGTERM exits 143, `SIGNAL_EXIT`). */
  interrupted: 130,
});

/** Exit statuses of a run stopped by a signal, as a shell reports them (128 + the signal's number). */
export const SIGNAL_EXIT = Object.freeze({ SIGINT: 130, SIGTERM: 143 });
export type StopSignal = keyof typeof SIGNAL_EXIT;

/** The reason the CLI's abort signal carries when the process got SIGINT or SIGTERM. */
export class Interrupted extends Error {
  constructor(readonly signal: StopSignal) {
    super(`interrupted (${signal})`);
    this.name = 'Interrupted';
  }
}

/** What interrupted a run, in words: "interrupted (SIGTERM)", or "interrupted" when unknown. */
export function interruptedText(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Interrupted ? reason.message : 'interrupted';
}

/** The exit status of a run that `signal` interrupted: the signal's, or SIGINT's when unknown. */
export function interruptedExit(signal: AbortSignal | undefined): number {
  const reason: unknown = signal?.reason;
  return reason instanceof Interrupted ? SIGNAL_EXIT[reason.signal] : ExitCode.interrupted;
}

/** A bad command line; `flag` names the offending flag or argument (`--save-at`, `<problem>`). */
export class UsageError extends Error {
  readonly flag: string;

  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
    this.flag = flag;
  }
}
