import { describe, expect, it } from 'vitest';
import { FORGES, parseAllowPlainHttp, transportContext, transportVerdict } from '../../src/platforms/plain-http-policy.js';
import type { Forge } from '../../src/platforms/plain-http-policy.js';

const none = new Set<Forge>();

describe('transportVerdict: one policy, the same for both forges', () => {
  // [url, production, allowed, expected kind]
  const rows: Array<[string, boolean, 'none' | 'self' | 'other', 'ok' | 'warn' | 'refuse']> = [
    ['https://git.example.com', true, 'none', 'ok'],
    ['https://git.example.com', false, 'none', 'ok'],
    ['http://127.0.0.1:8080', true, 'none', 'ok'],
    ['http://127.9.9.9', true, 'none', 'ok'],
    ['http://localhost:3000', true, 'none', 'ok'],
    ['http://[::1]:3000', true, 'none', 'ok'],
    ['http://git.internal', true, 'none', 'refuse'],
    ['http://10.0.0.5', true, 'none', 'refuse'],
    // A name that merely looks local is not loopback.
    ['http://localhost.example.com', true, 'none', 'refuse'],
    ['http://git.internal', true, 'self', 'warn'],
    // Allowing the other forge does not allow this one.
    ['http://git.internal', true, 'other', 'refuse'],
    ['http://git.internal', false, 'none', 'warn'],
    ['http://git.internal', false, 'self', 'warn'],
    ['ftp://git.internal', false, 'self', 'refuse'],
  ];
  for (const forge of FORGES) {
    const other: Forge = forge === 'gitlab' ? 'github' : 'gitlab';
    it.each(rows)(`${forge}: %s production=%s allowed=%s -> %s`, (url, production, allowed, kind) => {
      const set = allowed === 'none' ? none : new Set<Forge>([allowed === 'self' ? forge : other]);
      const verdict = transportVerdict(forge, new URL(url), { production, allowed: set });
      expect(verdict.kind).toBe(kind);
      if (verdict.kind !== 'ok') expect(verdict.message).toContain(forge === 'gitlab' ? 'GITLAB_URL' : 'GHE_PROTOCOL=http');
    });
  }

  it('names the setting that would allow it when it refuses', () => {
    const verdict = transportVerdict('gitlab', new URL('http://git.internal'), { production: true, allowed: none });
    expect(verdict).toEqual({ kind: 'refuse', message: expect.stringContaining('PYRELEASE_ALLOW_PLAIN_HTTP=gitlab') });
  });
});

describe('PYRELEASE_ALLOW_PLAIN_HTTP', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['gitlab', ['gitlab']],
    [' GitHub , gitlab ', ['github', 'gitlab']],
    ['gitlab,bitbucket', null],
    ['true', null],
  ])('%o -> %o', (raw, expected) => {
    const parsed = parseAllowPlainHttp(raw);
    expect(parsed === null ? null : [...parsed].sort()).toEqual(expected);
  });

  it('reads the context from the environment; an invalid list allows nothing', () => {
    expect(transportContext({ NODE_ENV: 'production', PYRELEASE_ALLOW_PLAIN_HTTP: 'gitlab' })).toEqual({ production: true, allowed: new Set(['gitlab']) });
    expect(transportContext({ PYRELEASE_ALLOW_PLAIN_HTTP: 'yes' })).toEqual({ production: false, allowed: new Set() });
  });
});
