import { defineConfig } from 'tsup';

// The library (dist/index.js ESM, dist/index.cjs CommonJS, .d.ts/.d.cts beside them) and the
// `neural-ivp` executable (dist/cli.js, "bin" in package.json; its #! line comes from
// ts/cli/main.ts). One config, so the ESM build splits the code index.js and cli.js share into
// common chunks: a problem module that imports 'neural-ivp' gets the same module instances as
// the CLI (defineProblem's registry included). The CommonJS build also emits a cli.cjs, unused.
export default defineConfig({
  entry: { index: 'ts/index.ts', cli: 'ts/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'ts/index.ts' } },
  // Loaded on demand only, for TypeScript problem files (a devDependency, maybe absent).
  external: ['tsx', 'tsx/esm/api'],
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  outDir: 'dist',
});
