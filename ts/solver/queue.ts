// Calls on one NeuralIVP run one at a time. An abort rejects the caller's promise at once (and
// stops the native loops of the running call); the work itself winds down in the background, and
// later calls wait for it.
import { AbortError } from '../integrate/errors';

/** The AbortError of an aborted call: `what` names the call ('fit aborted', 'evolve aborted'). */
export function abortError(signal: AbortSignal, what: 'fit' | 'evolve' = 'evolve'): AbortError {
  return new AbortError(`${what} aborted`, { cause: signal.reason });
}

export class ExclusiveQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** @param cancel stops the running call's native loops. */
  constructor(private readonly cancel: () => void) {}

  /**
   * Runs `work` after every earlier call has settled. With a signal, the returned promise rejects
   * with an AbortError as soon as it fires (and `cancel` is called while `work` runs).
   */
  run<T>(
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal | undefined) => Promise<T>,
    what: 'fit' | 'evolve' = 'evolve',
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    let running = false;
    const task = this.tail.then(async () => {
      if (signal?.aborted) throw abortError(signal, what);
      running = true;
      try {
        return await work(signal);
      } finally {
        running = false;
      }
    });
    this.tail = task.then(
      () => undefined,
      () => undefined,
    ); // holds no result (a Solution must stay collectable)
    if (signal === undefined) return task;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        // Stop this call's native loops only (an earlier call may still be running).
        if (running) this.cancel();
        reject(abortError(signal, what));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
