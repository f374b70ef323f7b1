import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native work uses all cores already: run test files one at a time.
    fileParallelism: false,
    // Tests of what is released when a Solution is garbage collected call gc(). Process warnings
    // (a fake session's fit misses its tolerance on purpose) still reach the tests that listen
    // for them, without being printed.
    poolOptions: { forks: { execArgv: ['--expose-gc', '--no-warnings'] } },
  },
});
