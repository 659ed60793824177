import { describeConfig, hasHashTag } from '../config.js';
import type { Config } from '../config.js';
import type { ServerConfig } from '../server-config.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './io.js';
import type { CliIo } from './io.js';
import { forgeTransportWarnings, loadSettings } from './load-settings.js';

export const CONFIG_USAGE = `usage: pyrelease config check

Validates the settings (environment) and the server config file (PYRELEASE_CONFIG)
together, reports every problem at once, and prints the effective configuration with
secrets masked, then warnings about valid settings that break some deployments.
Exit status: 0 valid (warnings or not), 1 invalid, 2 usage error.
`;

/** Settings that are valid but will bite in some deployments: printed, exit status unchanged. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = forgeTransportWarnings(config);
  // On a cluster (PYRELEASE_REDIS_CLUSTER) loadConfig already refuses such a prefix.
  if (!hasHashTag(config.queuePrefix)) {
    warnings.push(
      `PYRELEASE_QUEUE_PREFIX has no Redis Cluster hash tag (a non-empty {...}): fine on one Redis, but on Redis Cluster every webhook is refused (CROSSSLOT) and BullMQ cannot run. Use e.g. {${config.queuePrefix}}.`,
    );
  }
  return warnings;
}

export function renderEffectiveConfig(config: Config, server: ServerConfig): string {
  const rows = describeConfig(config);
  const width = Math.max(...rows.map((r) => r.env.length));
  const lines = rows.map((r) => `${r.env.padEnd(width)}  ${r.value}`);
  lines.push('', `GitHub App: ${config.github === null ? 'not configured' : `app ${config.github.appId} at ${config.github.apiUrl}`}`);
  lines.push(`GitLab: ${config.gitlabToken === undefined ? 'not configured' : config.gitlabUrl}`);
  lines.push(`Registries: ${Object.keys(server.registries).sort().join(', ')}`);
  const selfHosted = server.selfHosted;
  lines.push(
    selfHosted === null
      ? 'Self-hosted tags: not configured'
      : `Self-hosted tags: ${selfHosted.upstream.url}/${selfHosted.upstream.project} from ${selfHosted.minVersion} -> ${selfHosted.repos.map((r) => `${r.platform}:${r.project}`).join(', ')}`,
  );
  const warnings = configWarnings(config);
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings.map((w) => `- ${w}`));
  return lines.join('\n') + '\n';
}

export async function configCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.length !== 1 || args[0] !== 'check') {
    io.err(CONFIG_USAGE);
    return EXIT_USAGE;
  }
  // Its warnings go in the report below, not to stderr as at start.
  const settings = await loadSettings(io, { announce: false });
  if (!settings.ok) return EXIT_INVALID;
  io.out(renderEffectiveConfig(settings.config, settings.server));
  return EXIT_OK;
}
