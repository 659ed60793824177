import { parseArgs } from 'node:util';
import { canonicalizeValidName } from '../core/names.js';
import { describePublisher } from '../core/publish-policy.js';
import type { Binding } from '../core/publish-policy.js';
import { redisBindings } from '../jobs/publish-bindings.js';
import { redisConnection } from '../jobs/queues.js';
import { DEFAULT_REDIS_URL, redisModeMismatch } from '../redis-client.js';
import { resolveRedisUrl } from '../redis-url.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './io.js';
import type { CliIo } from './io.js';
import { loadSettings } from './load-settings.js';

export const BINDINGS_USAGE = `usage: pyrelease bindings [--json]
       pyrelease bindings move TARGET NAME --to FORGE:REPO

Lists which repository each project name is bound to on each registry target: the first
repository that published it. Only that repository may publish the name there again,
unless the server config lists it under shared-projects.
  --json                one JSON object per binding
  move                  binds NAME on TARGET to another repository (a project that moved);
                        FORGE is gitlab, github or local, REPO the repository's path
`;

const REPO_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function parseTo(value: string): Binding | null {
  const colon = value.indexOf(':');
  const platform = value.slice(0, colon);
  const path = value.slice(colon + 1);
  if (colon === -1 || (platform !== 'gitlab' && platform !== 'github' && platform !== 'local') || !REPO_PATH.test(path)) return null;
  // By path: the operator knows paths, not forge ids; bindingHolds matches a null id by path.
  return { platform, id: null, path };
}

export async function bindingsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean', default: false }, to: { type: 'string' } }, allowPositionals: true, strict: true });
  const [verb, target, name, ...extra] = positionals;
  const moving = verb === 'move';
  if ((verb !== undefined && !moving) || (moving && (target === undefined || name === undefined || values.to === undefined || extra.length > 0))) {
    io.err(BINDINGS_USAGE);
    return EXIT_USAGE;
  }
  const settings = await loadSettings(io);
  if (!settings.ok) return EXIT_INVALID;
  const { config, server } = settings;
  let move: { target: string; project: string; to: Binding } | null = null;
  if (moving) {
    const to = parseTo(values.to ?? '');
    const project = canonicalizeValidName(name ?? '');
    if (to === null) return fail(io, `--to takes FORGE:REPO, such as gitlab:group/project or github:owner/name`);
    if (!project.ok) return fail(io, project.reason);
    const rule = Object.hasOwn(server.policy.targets, target ?? '') ? server.policy.targets[target ?? ''] : undefined;
    if (rule === undefined) return fail(io, `no registry ${JSON.stringify(target)} is defined in the server config`);
    if (rule.kind === 'own-project') return fail(io, `${target} is each GitLab project's own registry: its names are not bound`);
    move = { target: target ?? '', project: project.name, to };
  }
  const redis = await resolveRedisUrl(config, { env: io.env });
  const redisAt = { url: redis.ok ? redis.url : DEFAULT_REDIS_URL, cluster: config.redisCluster };
  const mismatch = await redisModeMismatch(redisAt);
  if (mismatch !== null) return fail(io, mismatch);
  const connection = redisConnection(redisAt, 'pyrelease-cli');
  connection.on('error', () => undefined);
  try {
    const ping = await Promise.race([connection.ping(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref())]);
    if (ping === 'timeout') return fail(io, 'Redis does not answer (set REDIS_URL)');
    const store = redisBindings(connection, config.queuePrefix);
    if (move !== null) {
      const previous = await store.move(move.target, move.project, move.to);
      io.out(`${move.target} ${move.project}: ${previous === null ? 'unbound' : describePublisher(previous)} -> ${describePublisher(move.to)}\n`);
      return EXIT_OK;
    }
    const rows = await store.list();
    if (values.json) {
      io.out(rows.map((r) => JSON.stringify({ target: r.target, project: r.project, platform: r.binding.platform, repo: r.binding.path, repoId: r.binding.id, at: r.at, by: r.by })).join('\n') + (rows.length > 0 ? '\n' : ''));
    } else if (rows.length === 0) {
      io.out('no bindings\n');
    } else {
      for (const r of rows) io.out(`${r.target}  ${r.project}  ${describePublisher(r.binding)}  ${r.at}  ${r.by}\n`);
    }
    return EXIT_OK;
  } finally {
    connection.disconnect();
  }
}

function fail(io: CliIo, message: string): number {
  io.err(`pyrelease bindings: ${message}\n`);
  return EXIT_INVALID;
}
