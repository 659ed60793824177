import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReadmeCompose } from './readme-commands.js';
import { DOCKER_CLI } from './scratch-dockerd.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export interface ComposeRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * A directory laid out as the README has a user lay it out: the repository's
 * docker-compose.yml (a byte copy) and .env.example, then the README's setup lines run
 * there, the settings a user fills in, the override file and pyrelease.yml. Compose
 * runs there as `docker compose` (v2) or, where only Debian's 1.29 is installed, as
 * `docker-compose`, with the README's arguments.
 */
export interface ComposeProject {
  readonly dir: string;
  /** ['docker', 'compose'] or ['docker-compose']. */
  readonly cli: readonly string[];
  compose(args: readonly string[], timeoutMs?: number): Promise<ComposeRun>;
  /** The container id of a service's one container ('' when it has none). */
  containerOf(service: string): Promise<string>;
}

/** Compose v2 where the docker CLI has it, else Debian's docker-compose 1.29. */
export async function findComposeCli(env: Readonly<Record<string, string>>): Promise<string[]> {
  for (const cli of [[DOCKER_CLI, 'compose'], ['docker', 'compose'], ['docker-compose']]) {
    const [command, ...args] = cli as [string, ...string[]];
    if (await run(command, [...args, 'version'], { env, timeout: 20_000 }).then(() => true, () => false)) return cli;
  }
  throw new Error('neither `docker compose` nor `docker-compose` runs here (Debian: apt-get install docker-compose)');
}

/** Sets KEY=value where .env has KEY= or `# KEY=` (as a user fills it in), else appends it. */
export function fillEnv(text: string, values: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^(# *)?${key}=.*$`, 'm');
    out = line.test(out) ? out.replace(line, () => `${key}=${value}`) : `${out.replace(/\n?$/, '\n')}${key}=${value}\n`;
  }
  return out;
}

export async function composeProject(
  dir: string,
  env: Readonly<Record<string, string>>,
  readme: ReadmeCompose,
  files: { settings: Record<string, string>; serverConfig: string },
): Promise<ComposeProject> {
  await copyFile(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  await copyFile(join(root, '.env.example'), join(dir, '.env.example'));
  for (const line of readme.setup) await run('sh', ['-c', line], { cwd: dir, env, timeout: 20_000 });
  await writeFile(join(dir, '.env'), fillEnv(await readFile(join(dir, '.env'), 'utf8'), files.settings));
  await writeFile(join(dir, 'docker-compose.override.yml'), readme.override);
  await writeFile(join(dir, 'pyrelease.yml'), files.serverConfig);

  const cli = await findComposeCli(env);
  const [command, ...pre] = cli as [string, ...string[]];
  const compose: ComposeProject['compose'] = async (args, timeoutMs = 120_000) => {
    const t = Date.now();
    try {
      const { stdout, stderr } = await run(command, [...pre, ...args], { cwd: dir, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
      return { stdout, stderr, ms: Date.now() - t };
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${cli.join(' ')} ${args.join(' ')} failed after ${Date.now() - t} ms: ${(e.stderr ?? '').trim().slice(-3000) || e.message}`);
    }
  };
  return {
    dir,
    cli,
    compose,
    containerOf: async (service) => (await compose(['ps', '-q', service])).stdout.trim(),
  };
}
