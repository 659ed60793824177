import { readFileSync } from 'node:fs';
import { processIo, EXIT_OK, EXIT_USAGE } from './cli/io.js';
import type { CliIo } from './cli/io.js';

export const HELP = `usage: pyrelease <command> [options]

Commands:
  version [--json] [--sort] [VERSION...]   validate and normalize PEP 440 versions
  name [--json] [NAME...]                  validate and normalize project names (PEP 503)
  check [DIR] [--tag TAG] [--target REF]   run the merge-request version checks on a checkout
  upload [--repository-url URL] [-u USER] [-p PASSWORD] [--skip-existing] FILES...
                                           upload distributions like twine upload
  gitlab install|uninstall --group GROUP --webhook-url URL [--dry-run]
                                           install the service's webhook on a GitLab group
  github setup --webhook-url URL [--env-file FILE] [--org ORG]
                                           create the GitHub App (manifest flow) and write its credentials
  worker                                   run the publish workers (build and upload releases)
  jobs [--json]                            list publish jobs with state, attempts and failure reason
  bindings [--json]                        list which repository each project name is bound to, per target
  bindings move TARGET NAME --to FORGE:REPO
                                           bind a project name to another repository
  serve [--no-worker] [--print-config]     run the service: webhooks, and the workers beside them
  config check                             validate every setting and print the effective config, secrets masked
  help [COMMAND]                           show help

Options:
  -h, --help      show help
  -V, --version   print the pyrelease version
`;

type Command = (args: readonly string[], io: CliIo) => Promise<number> | number;

/**
 * Commands load on demand: `pyrelease version` must not pay for BullMQ, ioredis and the
 * forge clients that `serve` needs (loading them all took most of a second).
 */
const COMMANDS: Readonly<Record<string, () => Promise<{ run: Command; usage: string }>>> = {
  version: async () => {
    const m = await import('./cli/version-command.js');
    return { run: m.versionCommand, usage: m.VERSION_USAGE };
  },
  name: async () => {
    const m = await import('./cli/name-command.js');
    return { run: m.nameCommand, usage: m.NAME_USAGE };
  },
  check: async () => {
    const m = await import('./cli/check-command.js');
    return { run: m.checkCommand, usage: m.CHECK_USAGE };
  },
  serve: async () => {
    const m = await import('./cli/serve-command.js');
    return { run: m.serveCommand, usage: m.SERVE_USAGE };
  },
  upload: async () => {
    const m = await import('./cli/upload-command.js');
    return { run: m.uploadCommand, usage: m.UPLOAD_USAGE };
  },
  gitlab: async () => {
    const m = await import('./cli/gitlab-command.js');
    return { run: (args, io) => m.gitlabCommand(args, io), usage: m.GITLAB_USAGE };
  },
  config: async () => {
    const m = await import('./cli/config-command.js');
    return { run: m.configCommand, usage: m.CONFIG_USAGE };
  },
  github: async () => {
    const m = await import('./cli/github-command.js');
    return { run: (args, io) => m.githubCommand(args, io), usage: m.GITHUB_USAGE };
  },
  worker: async () => {
    const m = await import('./cli/worker-command.js');
    return { run: m.workerCommand, usage: m.WORKER_USAGE };
  },
  jobs: async () => {
    const m = await import('./cli/jobs-command.js');
    return { run: m.jobsCommand, usage: m.JOBS_USAGE };
  },
  bindings: async () => {
    const m = await import('./cli/bindings-command.js');
    return { run: m.bindingsCommand, usage: m.BINDINGS_USAGE };
  },
};

function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    io.out(HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '-V' || name === '--version') {
    io.out(`pyrelease ${ownVersion()}\n`);
    return EXIT_OK;
  }
  if (name === 'help') {
    const load = Object.hasOwn(COMMANDS, rest[0] ?? '') ? COMMANDS[rest[0] ?? ''] : undefined;
    io.out(load === undefined ? HELP : (await load()).usage);
    return EXIT_OK;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    io.err(`pyrelease: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(command.usage);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    // node:util parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      io.err(`pyrelease ${name}: ${(error as Error).message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
