import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import { SANDBOX_NEEDS, probeSandbox } from '../../src/publishing/sandbox-probe.js';
import { sandboxSetting } from '../../src/worker.js';

describe('probeSandbox', () => {
  const base = { uid: 65532, limits: DEFAULT_LIMITS };

  it('contains builds on this machine, as the build uid (bubblewrap is installed here)', async () => {
    const decision = await probeSandbox({ ...base, setting: 'required' });
    expect(decision.kind === 'refused' ? decision.problem : decision.kind).toBe('contained');
  });

  it('required without bubblewrap refuses, and says what the host must allow', async () => {
    const decision = await probeSandbox({ ...base, setting: 'required', bwrap: '/nonexistent/bwrap' });
    expect(decision.kind).toBe('refused');
    if (decision.kind === 'refused') {
      expect(decision.problem).toContain('bubblewrap (bwrap) is not installed');
      expect(decision.problem).toContain(SANDBOX_NEEDS);
    }
  });

  it('auto without bubblewrap builds uncontained, with the reason', async () => {
    const decision = await probeSandbox({ ...base, setting: 'auto', bwrap: '/nonexistent/bwrap' });
    expect(decision).toMatchObject({ kind: 'off', problem: expect.stringContaining('not installed') });
  });

  it('a bwrap that runs but cannot contain is refused with what it said', async () => {
    // /bin/false stands for a bwrap that seccomp stopped: it starts and fails.
    const decision = await probeSandbox({ ...base, setting: 'required', bwrap: '/bin/false' });
    expect(decision).toMatchObject({ kind: 'refused', problem: expect.stringContaining('a contained test command failed (exit 1)') });
  });

  it('off is off, with no problem to report', async () => {
    expect(await probeSandbox({ ...base, setting: 'off' })).toMatchObject({ kind: 'off', problem: null });
  });
});

describe('sandboxSetting', () => {
  it.each([
    [undefined, 'production', 'required'],
    [undefined, ' production ', 'required'],
    [undefined, undefined, 'auto'],
    [undefined, 'development', 'auto'],
    ['off', 'production', 'off'],
    ['auto', 'production', 'auto'],
    ['required', undefined, 'required'],
  ] as const)('PYRELEASE_BUILD_SANDBOX=%s with NODE_ENV=%s is %s', (buildSandbox, nodeEnv, expected) => {
    expect(sandboxSetting({ buildSandbox, nodeEnv })).toBe(expected);
  });
});
