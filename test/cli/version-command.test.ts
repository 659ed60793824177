import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/cli-io.js';

async function run(args: string[], stdin?: string) {
  const io = captureIo(stdin === undefined ? {} : { stdin });
  const code = await main(['version', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('pyrelease version', () => {
  it.each([
    [['1.0-ALPHA1'], '1.0a1\n'],
    [['v1.0'], '1.0\n'],
    [[' 00!1.2 '], '1.2\n'],
    [['1.0+AbC_1'], '1.0+abc.1\n'],
    [['1.0-5'], '1.0.post5\n'],
    [['0.4.1.dev202204251650943961'], '0.4.1.dev202204251650943961\n'],
    [['1.0', '2.0rc1'], '1.0\n2.0rc1\n'],
  ])('normalizes %j', async (args, expected) => {
    const r = await run(args);
    expect(r).toEqual({ code: 0, out: expected, err: '' });
  });

  it.each([['1..0'], ['1.0+_foo'], ['١.٠'], ['']])('rejects %j with exit 1 and a message on stderr', async (input) => {
    const r = await run([input]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`pyrelease: invalid PEP 440 version: ${JSON.stringify(input)}\n`);
  });

  it('prints one JSON object per input, in input order, valid or not', async () => {
    const r = await run(['--json', '1.0.0', 'nope', ' 1.0 ']);
    expect(r.code).toBe(1);
    expect(r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { input: '1.0.0', valid: true, normalized: '1.0.0' },
      { input: 'nope', valid: false, normalized: null },
      { input: ' 1.0 ', valid: true, normalized: '1.0' },
    ]);
    expect(r.err).toBe('');
  });

  it('reads one input per stdin line when no argument is given (CRLF tolerated, no trailing empty input)', async () => {
    const r = await run(['--json'], '1.0\r\n2.0-beta\n\n');
    expect(r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { input: '1.0', valid: true, normalized: '1.0' },
      { input: '2.0-beta', valid: true, normalized: '2.0b0' },
      { input: '', valid: false, normalized: null },
    ]);
    expect(r.code).toBe(1);
  });

  it('sorts valid inputs in PEP 440 order, keeping input order for equal versions', async () => {
    const r = await run(['--sort'], ['1.0.post1', '1.0', '1.0.dev0', 'bad', '1.0rc1', '1!0.1', '1.0.0', '1.0+local'].join('\n'));
    expect(r.out).toBe(['1.0.dev0', '1.0rc1', '1.0', '1.0.0', '1.0+local', '1.0.post1', '1!0.1'].join('\n') + '\n');
    expect(r.err).toContain('"bad"');
    expect(r.code).toBe(1);
  });

  it('sorts JSON output too, leaving out invalid inputs', async () => {
    const r = await run(['--sort', '--json', '2.0', 'x', '10.0', '9.0']);
    expect(r.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { input: string }).input)).toEqual(['2.0', '9.0', '10.0']);
  });

  it('orders integers beyond 2^53 exactly', async () => {
    const r = await run(['--sort', '1.9007199254740993', '1.9007199254740992']);
    expect(r.out).toBe('1.9007199254740992\n1.9007199254740993\n');
  });

  it.each([[['--nope']], [['--json=yes']]])('exits 2 on a usage error %j', async (args) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: pyrelease version');
  });

  it('prints nothing and exits 0 for empty stdin', async () => {
    expect(await run([], '')).toEqual({ code: 0, out: '', err: '' });
  });
});

