import { defineConfig } from 'tsup';

// One bundle per entry, as ESM (.js) and CommonJS (.cjs), with .d.ts/.d.cts beside them.
export default defineConfig({
  entry: { index: 'ts/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  outDir: 'dist',
});
