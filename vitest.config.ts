import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite runs alone: npm run test:faults (vitest.faults.config.ts).
    exclude: ['**/node_modules/**', 'test/faults/**'],
    // Integration suites start servers and Python builds; give them room but keep
    // a hang from eating the CI budget.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
