import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/pyrelease.js', import.meta.url).pathname;
const built = new URL('../../dist/cli.js', import.meta.url).pathname;

function pyrelease(args: string[], input?: string) {
  return spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 30_000 });
}

// The installed command, as `npx pyrelease` runs it: `npm test` builds dist/ first.
describe('the pyrelease executable', () => {
  it('is built', () => {
    expect(existsSync(built)).toBe(true);
  });

  it('reads versions from a pipe and sets the exit status', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i % 7}.${i}-RC${i % 3}`);
    const ok = pyrelease(['version'], lines.join('\n') + '\n');
    expect(ok.status).toBe(0);
    const out = ok.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(5000);
    expect(out[10]).toBe('3.10rc1');

    const bad = pyrelease(['version', '--json'], '1.0\n1..0\n');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('{"input":"1.0","valid":true,"normalized":"1.0"}\n{"input":"1..0","valid":false,"normalized":null}\n');
  });

  it('exits 2 on usage errors', () => {
    expect(pyrelease(['version', '--frob']).status).toBe(2);
    expect(pyrelease([]).status).toBe(2);
  });
});
