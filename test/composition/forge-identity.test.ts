import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { watchForgeIdentity } from '../../src/composition/forge-identity.js';
import { AppError } from '../../src/errors.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A read that fails with each given error in turn, then returns 'bot'. */
function reads(...failures: AppError[]) {
  let calls = 0;
  return {
    calls: () => calls,
    read: async () => {
      const failure = failures[calls];
      calls += 1;
      if (failure !== undefined) throw failure;
      return 'bot';
    },
  };
}
const down = () => new AppError('forge-unavailable', 'GET /user answered 503', { retryable: true });
const refused = () => new AppError('forge-auth', 'GET /user answered 401');

describe('watchForgeIdentity', () => {
  it('is ok at once when the first read works, and reads no more', async () => {
    const r = reads();
    const identity = await watchForgeIdentity({ read: r.read, log, what: 'x', hint: 'y', firstRetryMs: 10 });
    await sleep(50);
    expect([identity.state, identity.value, r.calls()]).toEqual(['ok', 'bot', 1]);
    identity.close();
  });

  it('says unverified while the forge cannot be asked, and reads again until it can', async () => {
    const r = reads(down(), down());
    const identity = await watchForgeIdentity({ read: r.read, log, what: 'x', hint: 'y', firstRetryMs: 40 });
    expect([identity.state, identity.value]).toEqual(['unverified', null]);
    // Reads again after 40 ms, then after 80 more (doubling).
    await sleep(60);
    expect([identity.state, r.calls()]).toEqual(['unverified', 2]);
    await sleep(150);
    expect([identity.state, identity.value, r.calls()]).toEqual(['ok', 'bot', 3]);
    identity.close();
  });

  it('says credentials-invalid when the forge refuses them, and keeps reading (a token may be fixed on the forge)', async () => {
    const r = reads(refused());
    const identity = await watchForgeIdentity({ read: r.read, log, what: 'x', hint: 'y', firstRetryMs: 20 });
    expect(identity.state).toBe('credentials-invalid');
    await sleep(80);
    expect(identity.state).toBe('ok');
    identity.close();
  });

  it('never waits longer than maxRetryMs between reads', async () => {
    const r = reads(down(), down(), down(), down());
    const identity = await watchForgeIdentity({ read: r.read, log, what: 'x', hint: 'y', firstRetryMs: 20, maxRetryMs: 20 });
    // 20 ms between reads: read for the fifth time after 80 ms. Doubling (20, 40, 80, 160)
    // would take 300 ms.
    await sleep(200);
    expect([identity.state, r.calls()]).toEqual(['ok', 5]);
    identity.close();
  });

  it('stops reading once closed', async () => {
    const r = reads(down(), down());
    const identity = await watchForgeIdentity({ read: r.read, log, what: 'x', hint: 'y', firstRetryMs: 20 });
    identity.close();
    await sleep(80);
    expect([identity.state, r.calls()]).toEqual(['unverified', 1]);
  });
});
