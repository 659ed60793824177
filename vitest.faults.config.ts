import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): the whole service under load, Redis outages
// and forge / index faults. Slow and CPU-hungry, so it runs on its own, one file at a
// time, not in the default `vitest run`.
// eslint-disable-next-line no-restricted-syntax -- vitest reads the default export (eslint.config.js exempts only vitest.config.ts)
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
