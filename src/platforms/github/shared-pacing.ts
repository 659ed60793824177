import type { RedisClient } from '../../redis-client.js';
import type { Logger } from '../../logger.js';
import { withTimeout } from '../../with-timeout.js';
import { recordWait } from '../../observability/waits.js';

/**
 * GitHub asks integrations to space requests that create content and notify people
 * (comments, releases) about 3 s apart per installation. @octokit/plugin-throttling does
 * that within one process; several worker processes on one installation would each keep
 * their own 3 s and together go faster. This pacer keeps one schedule per installation
 * in Redis, shared by every process on it.
 *
 * The script reserves the next free slot: the later of now and the slot after the last
 * reservation, by Redis's clock (TIME), so that the processes' clocks do not matter. The
 * key lives only as long as the schedule it holds.
 */
const RESERVE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[1])
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], at + gap, 'PX', at - now + gap)
return at - now
`;

/** POSTs that create content GitHub notifies people about: what its guidance spaces out. */
const NOTIFYING_WRITES = [/^\/repos\/[^/]+\/[^/]+\/issues\/[^/]+\/comments$/, /^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/comments$/, /^\/repos\/[^/]+\/[^/]+\/releases$/];

export function notifiesPeople(method: string, url: string): boolean {
  const path = url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/api\/v3(?=\/)/, '').split('?')[0] ?? '';
  return method === 'POST' && NOTIFYING_WRITES.some((pattern) => pattern.test(path));
}

export interface SharedPacing {
  /** Waits for this installation's next slot. Redis away: does not wait (the process's own pacing still holds). */
  wait(installationId: number): Promise<void>;
}

export function sharedPacing(redis: RedisClient, prefix: string, log: Logger, gapMs = 3000): SharedPacing {
  redis.defineCommand('pyreleaseReserveSlot', { numberOfKeys: 1, lua: RESERVE_SLOT });
  const reserve = (key: string): Promise<number> => (redis as unknown as { pyreleaseReserveSlot(key: string, gap: number): Promise<number> }).pyreleaseReserveSlot(key, gapMs);
  return {
    wait: async (installationId) => {
      let delayMs = 0;
      try {
        delayMs = await withTimeout(reserve(`${prefix}:github-pacing:${installationId}`), 1000, 'reserving a GitHub write slot');
      } catch (error) {
        log.debug({ err: (error as Error).message, installationId }, 'shared GitHub pacing unavailable; the process paces alone');
      }
      recordWait('github-shared-pacing', delayMs / 1000, log, { installationId });
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    },
  };
}

/** An Octokit's request hook, as far as the pacer needs it. */
interface HookedOctokit {
  hook: { before(name: 'request', hook: (options: { method?: string; url?: string }) => Promise<void>): void };
}

const paced = new WeakSet<object>();

/**
 * Makes an installation's Octokit wait for the shared slot before each write that notifies
 * people. Once per Octokit: a second hook would make each write wait for two slots (Probot
 * gives a new Octokit per auth call today, but that is its business, not ours).
 */
export function paceInstallation<O extends HookedOctokit>(octokit: O, installationId: number, pacing: SharedPacing): O {
  if (paced.has(octokit)) return octokit;
  paced.add(octokit);
  octokit.hook.before('request', async (options) => {
    if (notifiesPeople(options.method ?? 'GET', options.url ?? '')) await pacing.wait(installationId);
  });
  return octokit;
}
