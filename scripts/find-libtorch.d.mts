// Types of scripts/find-libtorch.mjs for the tests.
export interface FoundLibtorch {
  /** For CMAKE_PREFIX_PATH; null for the system's. */
  prefix: string | null;
  source: string;
}
export function pythonTorch(code: string): { python: string; out: string } | null;
export function findLibtorch(): FoundLibtorch | null;
export const HOW_TO_GET_LIBTORCH: string;
