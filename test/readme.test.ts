import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the two commands: run the service, run the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/npm start/);
    expect(firstBlock).toMatch(/npm test/);
  });

  it.each(Object.values(SETTINGS).map((s) => [s.env, s.description] as const))('documents %s in the settings table', (env, description) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${env}\` |`));
    expect(row, `README has no settings row for ${env}: run node scripts/settings-table.mjs`).toBeDefined();
    expect(row).toContain(description);
  });
});
