import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/cli-io.js';

async function run(args: string[], stdin?: string) {
  const io = captureIo(stdin === undefined ? {} : { stdin });
  const code = await main(['name', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('pyrelease name', () => {
  it.each([
    ['Django', 'django'],
    ['oslo.concurrency', 'oslo-concurrency'],
    ['Foo__Bar', 'foo-bar'],
    ['a-_.b', 'a-b'],
    ['X', 'x'],
  ])('normalizes %j to %j', async (input, expected) => {
    expect(await run([input])).toEqual({ code: 0, out: `${expected}\n`, err: '' });
  });

  it.each([['-bad-'], ['_x'], ['a b'], ['é'], ['']])('rejects %j', async (input) => {
    const r = await run(['--', input]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`pyrelease: invalid project name: ${JSON.stringify(input)}\n`);
  });

  it('prints JSON lines for stdin input', async () => {
    const r = await run(['--json'], 'Django\n.bad\n');
    expect(r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { input: 'Django', valid: true, normalized: 'django' },
      { input: '.bad', valid: false, normalized: null },
    ]);
    expect(r.code).toBe(1);
  });
});

describe('pyrelease dispatcher', () => {
  async function raw(args: string[]) {
    const io = captureIo();
    const code = await main(args, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  it('shows help and exits 2 without a command', async () => {
    const r = await raw([]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('usage: pyrelease <command>');
  });

  it('exits 2 on an unknown command', async () => {
    const r = await raw(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
  });

  it('prints its own version', async () => {
    const r = await raw(['--version']);
    expect(r.out).toMatch(/^pyrelease \d+\.\d+\.\d+\n$/);
  });

  it.each([['version'], ['name'], ['check']])('prints the usage of %s with --help', async (command) => {
    const r = await raw([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: pyrelease ${command}`);
  });
});
