import type { IntegrationProgress, StepFailureReason } from './progress';

/** True for any error whose name is 'AbortError' (ours, DOMException from AbortSignal, …). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/**
 * Thrown when an `AbortSignal` fires. `name` is 'AbortError'; `cause` is the signal's reason.
 * Thrown by `integrate`, it carries the progress so far (last good state, saved states).
 */
export class AbortError<V = unknown> extends Error {
  /** Where the integration stood when it was aborted (absent when not thrown by `integrate`). */
  readonly progress?: IntegrationProgress<V>;

  constructor(message = 'the operation was aborted', options?: { cause?: unknown; progress?: IntegrationProgress<V> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AbortError';
    if (options?.progress !== undefined) this.progress = options.progress;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('integration aborted', { cause: signal.reason });
}

/**
 * Thrown by `rkStep` when a stage derivative rejects or a stage, y1 or the error estimate is not
 * finite. `k1` is the first stage when it was computed (or given) and is finite: it stays valid
 * for a retry from the same (t, y) and is owned by the caller.
 */
export class StepFailure<V = unknown> extends Error {
  readonly reason: StepFailureReason;
  /** 0-based stage at which it failed (s for y1 / the error estimate). */
  readonly stage: number;
  readonly k1?: V;

  constructor(reason: StepFailureReason, stage: number, options?: { cause?: unknown; k1?: V }) {
    const what =
      reason === 'derivative' ? `the derivative rejected at stage ${stage}` : `a non-finite value at stage ${stage}`;
    super(`step failed: ${what}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepFailure';
    this.reason = reason;
    this.stage = stage;
    if (options?.k1 !== undefined) this.k1 = options.k1;
  }
}

/** Why `integrate` gave up. */
export type IntegrationErrorReason =
  /** `maxRejections` consecutive failed steps (non-finite values or a rejecting derivative). */
  | 'rejections'
  /** More than `maxSteps` step attempts. */
  | 'maxSteps'
  /** The wall-clock budget `maxSeconds` ran out. */
  | 'maxSeconds'
  /** The caller's `stop` signal fired. */
  | 'stopped'
  /** The step size underflowed (t + h == t). */
  | 'stepSize'
  /**
   * An unexpected error (from the vector ops or a hook), or a failed step that would repeat
   * (`willRepeat`); see `cause`.
   */
  | 'error';

/**
 * `integrate` could not finish. Nothing computed is lost: `t` and `y` are the last accepted time
 * and state, `times`/`states` what was saved so far, `steps` every attempt, `hNext` the step size
 * to resume with. The caller owns `y` and `states`.
 */
export class IntegrationError<V = unknown> extends Error {
  /** Why the integration gave up. */
  readonly reason: IntegrationErrorReason;
  /** The last accepted time. */
  readonly t: number;
  /** The state at `t`. */
  readonly y: V;
  /** The `saveAt` times reached. */
  readonly times: number[];
  /** The states at `times`. */
  readonly states: V[];
  /** Everything above, with the step records, the counters and the step size to resume with. */
  readonly progress: IntegrationProgress<V>;

  constructor(
    reason: IntegrationErrorReason,
    message: string,
    progress: IntegrationProgress<V>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IntegrationError';
    this.reason = reason;
    this.progress = progress;
    this.t = progress.t;
    this.y = progress.y;
    this.times = progress.times;
    this.states = progress.states;
  }
}
