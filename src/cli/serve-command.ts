import { describeConfig, loadConfig } from '../config.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';

/**
 * `pyrelease serve`: for now it validates the configuration and prints what the service
 * would run with (secrets masked). The HTTP server arrives with the forge integrations.
 */
export function serveCommand(_args: readonly string[], io: CliIo, help: string): number {
  const result = loadConfig(io.env);
  if (!result.ok) {
    io.err(`pyrelease: invalid configuration:\n${result.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return EXIT_INVALID;
  }
  const rows = describeConfig(result.config);
  const width = Math.max(...rows.map((r) => r.env.length));
  io.out(`${help}\nEffective configuration (from the environment and embedded defaults):\n`);
  io.out(rows.map((r) => `  ${r.env.padEnd(width)}  ${r.value}`).join('\n') + '\n');
  io.out('\nThe webhook server is not part of this build yet: nothing is listening.\n');
  return EXIT_OK;
}
