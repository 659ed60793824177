import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { watchForgeIdentity } from '../../src/composition/forge-identity.js';
import { AppError } from '../../src/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps its lines, to read the delays the watcher chose (timers never fire early, but may late). */
function recordingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), retries: () => lines.map((l) => l['retryInMs']).filter((v) => v !== undefined), lines };
}

/** A read that fails with each given error in turn, then returns 'bot'. */
function reads(...failures: AppError[]) {
  const at: number[] = [];
  return {
    calls: () => at.length,
    at,
    read: async () => {
      const failure = failures[at.length];
      at.push(performance.now());
      if (failure !== undefined) throw failure;
      return 'bot';
    },
  };
}
const down = () => new AppError('forge-unavailable', 'GET /user answered 503', { retryable: true });
const refused = () => new AppError('forge-auth', 'GET /user answered 401');

async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(10);
}

describe('watchForgeIdentity', () => {
  it('is ok at once when the first read works, and reads no more', async () => {
    const r = reads();
    const identity = await watchForgeIdentity({ read: r.read, log: recordingLog().log, what: 'x', hint: 'y', firstRetryMs: 10 });
    expect([identity.state, identity.value]).toEqual(['ok', 'bot']);
    await sleep(50);
    expect(r.calls()).toBe(1);
    identity.close();
  });

  it('says unverified while the forge cannot be asked, and reads again, each wait twice the last, until it can', async () => {
    const r = reads(down(), down());
    const rec = recordingLog();
    const identity = await watchForgeIdentity({ read: r.read, log: rec.log, what: 'the GitLab bot user', hint: 'check GITLAB_URL', firstRetryMs: 40 });
    expect([identity.state, identity.value]).toEqual(['unverified', null]);
    expect(rec.lines[0]).toMatchObject({ level: 50, code: 'forge-unavailable', state: 'unverified', msg: 'cannot read the GitLab bot user: check GITLAB_URL' });
    await until(() => identity.state === 'ok');
    expect([identity.state, identity.value, r.calls()]).toEqual(['ok', 'bot', 3]);
    expect(rec.retries()).toEqual([40, 80]);
    expect((r.at[1] ?? 0) - (r.at[0] ?? 0)).toBeGreaterThanOrEqual(39);
    expect((r.at[2] ?? 0) - (r.at[1] ?? 0)).toBeGreaterThanOrEqual(79);
    identity.close();
  });

  it('says credentials-invalid when the forge refuses them, and keeps reading (a token may be fixed on the forge)', async () => {
    const r = reads(refused());
    const identity = await watchForgeIdentity({ read: r.read, log: recordingLog().log, what: 'x', hint: 'y', firstRetryMs: 20 });
    expect(identity.state).toBe('credentials-invalid');
    await until(() => identity.state === 'ok');
    expect([identity.state, r.calls()]).toEqual(['ok', 2]);
    identity.close();
  });

  it('never waits longer than maxRetryMs between reads', async () => {
    const r = reads(down(), down(), down(), down());
    const rec = recordingLog();
    const identity = await watchForgeIdentity({ read: r.read, log: rec.log, what: 'x', hint: 'y', firstRetryMs: 10, maxRetryMs: 25 });
    await until(() => identity.state === 'ok');
    expect(rec.retries()).toEqual([10, 20, 25, 25]);
    identity.close();
  });

  it('stops reading once closed', async () => {
    const r = reads(down(), down());
    const identity = await watchForgeIdentity({ read: r.read, log: recordingLog().log, what: 'x', hint: 'y', firstRetryMs: 20 });
    identity.close();
    await sleep(80);
    expect([identity.state, r.calls()]).toEqual(['unverified', 1]);
  });
});
