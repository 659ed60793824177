import { readFileSync } from 'node:fs';
import { processIo, EXIT_OK, EXIT_USAGE } from './cli/io.js';
import type { CliIo } from './cli/io.js';
import { nameCommand, NAME_USAGE } from './cli/name-command.js';
import { serveCommand, SERVE_USAGE } from './cli/serve-command.js';
import { versionCommand, VERSION_USAGE } from './cli/version-command.js';
import { checkCommand, CHECK_USAGE } from './cli/check-command.js';
import { jobsCommand, JOBS_USAGE } from './cli/jobs-command.js';
import { workerCommand, WORKER_USAGE } from './cli/worker-command.js';
import { uploadCommand, UPLOAD_USAGE } from './cli/upload-command.js';
import { gitlabCommand, GITLAB_USAGE } from './cli/gitlab-command.js';

export const HELP = `usage: pyrelease <command> [options]

Commands:
  version [--json] [--sort] [VERSION...]   validate and normalize PEP 440 versions
  name [--json] [NAME...]                  validate and normalize project names (PEP 503)
  check [DIR] [--tag TAG] [--target REF]   run the merge-request version checks on a checkout
  upload [--repository-url URL] [-u USER] [-p PASSWORD] [--skip-existing] FILES...
                                           upload distributions like twine upload
  gitlab install|uninstall --group GROUP --webhook-url URL [--dry-run]
                                           install the service's webhook on a GitLab group
  worker                                   run the publish workers (build and upload releases)
  jobs [--json]                            list publish jobs with state, attempts and failure reason
  serve [--no-worker] [--print-config]     run the service: webhooks, and the workers beside them
  help [COMMAND]                           show help

Options:
  -h, --help      show help
  -V, --version   print the pyrelease version
`;

type Command = (args: readonly string[], io: CliIo) => Promise<number> | number;

const COMMANDS: Readonly<Record<string, { run: Command; usage: string }>> = {
  version: { run: versionCommand, usage: VERSION_USAGE },
  name: { run: nameCommand, usage: NAME_USAGE },
  check: { run: checkCommand, usage: CHECK_USAGE },
  serve: { run: serveCommand, usage: SERVE_USAGE },
  upload: { run: uploadCommand, usage: UPLOAD_USAGE },
  gitlab: { run: gitlabCommand, usage: GITLAB_USAGE },
  worker: { run: workerCommand, usage: WORKER_USAGE },
  jobs: { run: jobsCommand, usage: JOBS_USAGE },
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
    io.out(COMMANDS[rest[0] ?? '']?.usage ?? HELP);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`pyrelease: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
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
