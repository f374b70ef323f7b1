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
