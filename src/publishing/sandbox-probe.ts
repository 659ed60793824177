import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type SandboxSetting = 'auto' | 'unshare' | 'none';

/**
 * Whether builds can run in their own user, PID and mount namespaces (util-linux
 * unshare). Without them a build can read the worker's startup environment through
 * /proc/<ancestor>/environ; Docker's default seccomp profile forbids the namespaces,
 * so `auto` asks the kernel once at start-up instead of assuming.
 */
export async function unshareWorks(unshare = 'unshare'): Promise<boolean> {
  try {
    await run(unshare, ['--user', '--map-current-user', '--pid', '--fork', '--mount-proc', '--kill-child', '--', 'true'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function resolveSandbox(setting: SandboxSetting): Promise<'unshare' | 'none'> {
  if (setting !== 'auto') return setting;
  return (await unshareWorks()) ? 'unshare' : 'none';
}
