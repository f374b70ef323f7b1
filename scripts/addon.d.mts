// Types of scripts/addon.mjs for ts/native.ts.
export interface Prebuild {
  file: string;
  torch: string;
  cuda: string | null;
  manifest: { libdir?: string; sourceHash?: string; [key: string]: unknown } | null;
}
export function prebuildDir(root: string): string;
export function prebuildTag(torchVersion: string, cudaVersion: string | null): string;
export function listPrebuilds(root: string): Prebuild[];
export function nativeSourceHash(root: string): string;
export function libtorchDirsFor(prebuild: Prebuild, options?: { python?: boolean }): string[];
export function preloadLibtorch(dir: string): void;
export function loadPrebuild(
  root: string,
  requireFn: (file: string) => unknown,
  options?: { accept?: (prebuild: Prebuild) => boolean },
): { addon: unknown; file: string };
export function hasLocalBuild(root: string): boolean;
