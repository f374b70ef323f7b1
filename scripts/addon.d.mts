// Types of scripts/addon.mjs for ts/native.ts.
export interface Prebuild {
  file: string;
  torch: string;
  cuda: string | null;
  manifest: { libdir?: string; sourceHash?: string; [key: string]: unknown } | null;
}
export type AddonKind = 'NEURAL_IVP_ADDON' | 'local build' | 'prebuild';
export interface LoadedAddon {
  addon: unknown;
  /** The .node file that was opened. */
  file: string;
  kind: AddonKind;
  /** Candidates tried before it, each as "file: why it did not load". */
  skipped: string[];
}
export function prebuildDir(root: string): string;
export function prebuildTag(torchVersion: string, cudaVersion: string | null): string;
export function listPrebuilds(root: string): Prebuild[];
export function nativeSourceHash(root: string): string;
export function libtorchVersions(dir: string): { torch: string; cuda: string | null } | null;
export function libtorchDirsFor(prebuild: Prebuild, options?: { python?: boolean }): string[];
export function preloadLibtorch(dir: string): void;
export function openAddon(file: string): unknown;
export function loadPrebuild(
  root: string,
  options?: { accept?: (prebuild: Prebuild) => boolean },
): { addon: unknown; file: string; skipped: string[] };
export function hasLocalBuild(root: string): boolean;
export function loadAddon(root: string): LoadedAddon;
