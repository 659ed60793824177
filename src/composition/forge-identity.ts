import type { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * ok: read. credentials-invalid: the forge refused the credentials (401/403).
 * unverified: the forge could not be asked (down, unreachable, 5xx, timeout).
 */
export type IdentityState = 'ok' | 'credentials-invalid' | 'unverified';

/** Who the service is on a forge (GitLab bot user, GitHub App slug), as last read. */
export interface ForgeIdentity<T> {
  readonly state: IdentityState;
  /** null until a read succeeded. */
  readonly value: T | null;
  /** Stops reading again. */
  close(): void;
}

export interface IdentityReading<T> {
  read(): Promise<T>;
  log: Logger;
  /** For the log lines: what is read and what to check when the forge refuses it. */
  what: string;
  hint: string;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * Reads the identity once before the web process listens and, while that fails, again in
 * the background (5 s, doubling to 60 s) until it succeeds. A forge that was away, or
 * refused a token about to be fixed, while the process started must not leave it
 * not-ready until someone restarts it.
 */
export async function watchForgeIdentity<T>(reading: IdentityReading<T>): Promise<ForgeIdentity<T>> {
  const { log, what, hint } = reading;
  const maxRetryMs = reading.maxRetryMs ?? 60_000;
  let state: IdentityState = 'unverified';
  let value: T | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let failures = 0;

  const attempt = async (): Promise<void> => {
    try {
      value = await reading.read();
      state = 'ok';
    } catch (error) {
      failures += 1;
      const code = (error as AppError).code;
      state = code === 'forge-auth' ? 'credentials-invalid' : 'unverified';
      const retryMs = Math.min((reading.firstRetryMs ?? 5000) * 2 ** (failures - 1), maxRetryMs);
      // Keep serving: deliveries are still verified and queued, and /readyz reports the state.
      log.error({ err: (error as Error).name, code, state, retryInMs: retryMs }, `cannot read ${what}: ${hint}`);
      if (!closed) {
        timer = setTimeout(() => void attempt(), retryMs);
        // Never what keeps a stopping process alive.
        timer.unref();
      }
    }
  };

  await attempt();
  return {
    get state() {
      return state;
    },
    get value() {
      return value;
    },
    close: () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
