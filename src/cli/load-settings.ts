import { loadConfig } from '../config.js';
import type { Config } from '../config.js';
import { loadServerConfig } from '../server-config.js';
import type { ServerConfig } from '../server-config.js';
import { transportContext, transportVerdict } from '../platforms/plain-http-policy.js';
import type { Forge } from '../platforms/plain-http-policy.js';
import type { CliIo } from './io.js';

/**
 * The environment settings and the server config file, validated together so every
 * problem is reported at once. On failure the errors are already printed.
 */
export async function loadSettings(io: CliIo, options: { announce?: boolean } = {}): Promise<{ ok: true; config: Config; server: ServerConfig } | { ok: false }> {
  const loaded = loadConfig(io.env);
  const server = await loadServerConfig(loaded.ok ? loaded.config.configFile : io.env['PYRELEASE_CONFIG']);
  if (!loaded.ok || !server.ok) {
    const errors = [...(loaded.ok ? [] : loaded.errors), ...(server.ok ? [] : server.errors)];
    io.err(`pyrelease: invalid configuration:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
    return { ok: false };
  }
  // serve and worker say it before anything else: a token in clear is not to be missed.
  if (options.announce !== false) for (const w of forgeTransportWarnings(loaded.config)) io.err(`pyrelease: warning: ${w}\n`);
  return { ok: true, config: loaded.config, server: server.config };
}

/** Plain http to a forge that the policy (plain-http-policy.ts) lets through, but loudly. */
export function forgeTransportWarnings(config: Config): string[] {
  const context = transportContext({ NODE_ENV: config.nodeEnv, PYRELEASE_ALLOW_PLAIN_HTTP: config.allowPlainHttp });
  const urls: Array<[Forge, string]> = [];
  if (config.gitlabToken !== undefined) urls.push(['gitlab', config.gitlabUrl]);
  if (config.github !== null) urls.push(['github', config.github.webUrl]);
  return urls.flatMap(([forge, url]) => {
    const verdict = transportVerdict(forge, new URL(url), context);
    return verdict.kind === 'warn' ? [verdict.message] : [];
  });
}

