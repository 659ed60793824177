import { loadConfig } from '../config.js';
import type { Config } from '../config.js';
import { loadServerConfig } from '../server-config.js';
import type { ServerConfig } from '../server-config.js';
import type { CliIo } from './io.js';

/**
 * The environment settings and the server config file, validated together so every
 * problem is reported at once. On failure the errors are already printed.
 */
export async function loadSettings(io: CliIo): Promise<{ ok: true; config: Config; server: ServerConfig } | { ok: false }> {
  const loaded = loadConfig(io.env);
  const server = await loadServerConfig(loaded.ok ? loaded.config.configFile : io.env['PYRELEASE_CONFIG']);
  if (!loaded.ok || !server.ok) {
    const errors = [...(loaded.ok ? [] : loaded.errors), ...(server.ok ? [] : server.errors)];
    io.err(`pyrelease: invalid configuration:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
    return { ok: false };
  }
  return { ok: true, config: loaded.config, server: server.config };
}
