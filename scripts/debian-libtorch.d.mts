// Types of scripts/debian-libtorch.mjs for the tests.
export const APT_PACKAGES: string[];
export const APT_COMMANDS: string[][];
export function aptOptOut(env?: Record<string, string | undefined>): boolean;
export interface Machine {
  env?: Record<string, string | undefined>;
  isDebian?: boolean;
  isRoot?: boolean;
  run?: (command: string, args: string[], options: object) => unknown;
  log?: (line: string) => void;
}
export function installDebianLibtorch(machine?: Machine): boolean;
export function ensureLibtorch(options?: Machine & { find?: () => { prefix: string | null; source: string } | null }): {
  prefix: string | null;
  source: string;
};
