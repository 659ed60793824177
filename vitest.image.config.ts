import { defineConfig } from 'vitest/config';

// The image suites (npm run test:image): the real image built from the Dockerfile with
// podman (test/image/) and the compose stack on dockerd (test/compose/). Not part of
// `npm test`: they need podman or dockerd and build an image first.
// eslint-disable-next-line no-restricted-syntax -- vitest reads the default export (eslint.config.js exempts only vitest.config.ts)
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts', 'test/compose/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // The image is built once, before any file runs (test/image/image-build.ts caches it).
    globalSetup: ['test/image/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Containers share the machine's two cores and the one image store.
    fileParallelism: false,
  },
});
