import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCli } from '../../helpers/worker-process.js';
import type { CliProcess } from '../../helpers/worker-process.js';
import type { BothForges } from './both-forges.js';

/** The compiled `pyrelease` processes a fault scenario starts beside its harness, killed together at the end. */
export function cliChildren() {
  const children: CliProcess[] = [];
  return {
    /** The harness's settings for a child, with its server config written to a file and info logging (the lines say who ran what, and the web's URL). */
    async envFor(s: BothForges): Promise<Record<string, string>> {
      const configFile = join(s.env['PYRELEASE_DATA_DIR'] ?? '', 'server.yml');
      await writeFile(configFile, s.serverYaml);
      return { ...s.env, PYRELEASE_CONFIG: configFile, LOG_LEVEL: 'info' };
    },
    /** Starts `pyrelease <args>` and waits for its line matching `ready`. */
    async start(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: CliProcess; line: string }> {
      const proc = spawnCli(args, env);
      children.push(proc);
      return { proc, line: await proc.waitForLine(ready, 30_000) };
    },
    async killAll(): Promise<void> {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
    },
  };
}
