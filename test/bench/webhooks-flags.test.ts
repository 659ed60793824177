import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface WebhooksBench {
  webRoleNodeFlags(composeText: string, override?: string): string[];
  serverLabel(kind: string, webFlags: string[]): string;
}
const { webRoleNodeFlags, serverLabel } = (await import(new URL('../../bench/webhooks.js', import.meta.url).href)) as WebhooksBench;
const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

describe('bench/webhooks.js: the web role as deployed', () => {
  it('starts the web process with the NODE_OPTIONS docker-compose.yml gives the web service', () => {
    expect(webRoleNodeFlags(compose, undefined)).toEqual(['--max-semi-space-size=2']);
  });

  it('takes BENCH_WEB_NODE_OPTIONS instead when it is set, and none for an empty one', () => {
    expect(webRoleNodeFlags(compose, '--max-semi-space-size=4  --stack-size=900')).toEqual(['--max-semi-space-size=4', '--stack-size=900']);
    expect(webRoleNodeFlags(compose, '')).toEqual([]);
  });

  it('has no flags for a compose file whose web service sets none', () => {
    expect(webRoleNodeFlags('services:\n  web:\n    environment:\n      REDIS_URL: redis://redis:6379/0\n', undefined)).toEqual([]);
    expect(webRoleNodeFlags('services: {}\n', undefined)).toEqual([]);
  });

  it('names the flags in the web process row, so a reader knows what was measured', () => {
    expect(serverLabel('pyrelease', ['--max-semi-space-size=2'])).toContain('`NODE_OPTIONS=--max-semi-space-size=2` as docker-compose.yml runs it');
    expect(serverLabel('pyrelease', [])).toContain('no Node flags');
    expect(serverLabel('pyrelease-node-defaults', [])).toMatch(/default heap/);
  });
});
