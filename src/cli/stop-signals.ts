import type { Logger } from '../logger.js';

/** Exit code of a stop forced by a second Ctrl-C: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * One Ctrl-C under `npm start` delivers SIGINT twice: the terminal sends it to the whole
 * foreground process group, and npm forwards its own copy to its child (@npmcli/run-script
 * signal-manager.js). A second SIGINT sooner than this after the first is that copy, not a
 * person asking again.
 */
const SAME_CTRL_C_MS = 500;

/**
 * Resolves with the first SIGTERM or SIGINT. From then on a second SIGINT (a person pressing
 * Ctrl-C again, as with any server run by hand) exits at once with EXIT_INTERRUPTED, without
 * waiting for running jobs: they keep their locks until expiry and another worker takes them
 * over. A second SIGTERM changes nothing: orchestrators follow theirs with SIGKILL.
 */
export function firstStopSignal(log: Logger, waitingFor: string): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let firstAt: number | null = null;
    const onSignal = (signal: NodeJS.Signals): void => {
      const now = Date.now();
      if (firstAt === null) {
        firstAt = now;
        log.info({ signal }, `stopping: ${waitingFor}; Ctrl-C again to exit at once`);
        resolve(signal);
      } else if (signal === 'SIGINT' && now - firstAt >= SAME_CTRL_C_MS) {
        log.warn({ signal }, 'second SIGINT: exiting now, without waiting for running jobs');
        process.exit(EXIT_INTERRUPTED);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * After a clean stop: connections whose close was given up on (Redis away) may keep
 * retrying and so keep the process up. Everything that mattered is done by now; an unref'd
 * timer fires only if something still holds the event loop.
 */
export function exitIfHeld(code: number, ms = 1000): void {
  setTimeout(() => process.exit(code), ms).unref();
}
