import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite runs alone: npm run test:faults (vitest.faults.config.ts); the image
    // and compose suites need podman or dockerd: npm run test:image (vitest.image.config.ts).
    exclude: ['**/node_modules/**', 'test/faults/**', 'test/image/**', 'test/compose/**'],
    // Integration suites start servers and Python builds; give them room but keep
    // a hang from eating the CI budget.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
