/**
 * The error thrown for every malformed problem specification or option.
 *
 * `path` names the offending part of the spec (`"rhs.v"`, `"domain.lower[2]"`, `"params.k"`), and the
 * message starts with it: `rhs.v: unknown field 'w' (fields are u, v)`. `detail` is the message
 * without the path prefix.
 */
export class SpecError extends Error {
  /** The offending part of the spec or options, e.g. `"linear.rank"` ('' for the whole input). */
  readonly path: string;
  /** The message without the `path: ` prefix. */
  readonly detail: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(path === '' ? message : `${path}: ${message}`, options);
    this.name = 'SpecError';
    this.path = path;
    this.detail = message;
  }
}

/**
 * Memory that cannot be had: a refused dense solve (over `memoryBudget`), or an allocation the
 * native core could not make. Retrying does not help, so `evolve` stops at once on it.
 * `neededBytes` and `limitBytes` are the bytes asked for and the limit, when known.
 */
export class OutOfMemoryError extends Error {
  /** The bytes asked for, or null when unknown. */
  readonly neededBytes: number | null;
  /** The limit they exceeded, or null when unknown. */
  readonly limitBytes: number | null;

  constructor(
    message: string,
    options: { neededBytes?: number | null; limitBytes?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutOfMemoryError';
    this.neededBytes = options.neededBytes ?? null;
    this.limitBytes = options.limitBytes ?? null;
  }
}

/** The innermost `cause` of an error chain (the error itself when it has none). */
export function innermostCause(e: unknown): unknown {
  let current = e;
  for (let depth = 0; depth < 32; depth++) {
    const next = (current as { cause?: unknown } | null)?.cause;
    if (typeof current !== 'object' || current === null || next === undefined || next === null) break;
    current = next;
  }
  return current;
}

/** libtorch's messages carry a C++ stack trace from here on; users need what comes before. */
const TRACE = /\s*(Exception raised from |frame #0: )[\s\S]*$/;
const MEMORY = /dense solve needs|out of memory|not enough memory|can't allocate memory|alloc_cpu|bad_alloc/i;

/**
 * An error from the native core as the library throws it: memory failures become an
 * `OutOfMemoryError` (in place of the addon's error, which says nothing more), and a libtorch
 * message loses its C++ stack trace. Anything else is returned as it is.
 */
export function fromNative(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof OutOfMemoryError || e.name === 'AbortError') return e;
  const message = e.message.replace(TRACE, '');
  if (e.name === 'OutOfMemoryError' || MEMORY.test(message)) {
    const bytes = (key: string): number | null => {
      const v = (e as unknown as Record<string, unknown>)[key];
      return typeof v === 'number' && v >= 0 ? v : null;
    };
    const asked = /allocate (\d+) bytes/.exec(message);
    const text = /^(out of memory|dense solve needs)/i.test(message) ? message : `out of memory: ${message}`;
    return new OutOfMemoryError(text, {
      neededBytes: bytes('neededBytes') ?? (asked === null ? null : Number(asked[1])),
      limitBytes: bytes('limitBytes'),
    });
  }
  if (message !== e.message) e.message = message;
  return e;
}
