// Command-line flags of the example scripts, apart from the study so that a script that computes
// without the package does not load its native addon to read its arguments.

/** `--name value` from the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
