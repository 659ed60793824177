import { defineConfig } from 'vitest/config';

// The fast tier: pure logic and in-memory fakes, no Redis, no servers, no builds.
// `npm run test:unit` runs it alone while editing (about 15 s); `npm test` runs it with
// the integration tier. Its Redis URL points at a closed port, so a test that reaches
// Redis fails here instead of quietly becoming slow.
const UNIT = [
  'test/core/**/*.test.ts',
  'test/service/**/*.test.ts',
  'test/platforms/gitlab/{delivery-id,streaming-auth,to-event,webhook-auth}.test.ts',
  'test/platforms/github/{streaming-signature,to-event,github-settings}.test.ts',
  'test/platforms/{config-touched,memory-platform,path-guard,plain-http-policy}.test.ts',
  'test/http/{body-budget,budget-settings}.test.ts',
  'test/{architecture,readme,vacuous-assertions}.test.ts',
];

// The fault suite runs alone: npm run test:faults (vitest.faults.config.ts); the image
// and compose suites need podman or dockerd: npm run test:image (vitest.image.config.ts).
const ELSEWHERE = ['**/node_modules/**', 'test/faults/**', 'test/image/**', 'test/compose/**'];

export default defineConfig({
  test: {
    exclude: ELSEWHERE,
    // Integration suites start servers and Python builds; give them room but keep
    // a hang from eating the CI budget.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, env: { PYRELEASE_TEST_REDIS_URL: 'redis://127.0.0.1:1' } } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...ELSEWHERE, ...UNIT] } },
    ],
  },
});
