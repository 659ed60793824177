import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { githubUrls } from '../platforms/github/github-settings.js';
import { runManifestFlow } from '../platforms/github/setup.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './io.js';
import type { CliIo } from './io.js';

export const GITHUB_USAGE = `usage: pyrelease github setup --webhook-url URL [--env-file FILE] [--key-file FILE] [--org ORG]
                             [--name NAME] [--homepage URL] [--manifest FILE] [--port N] [--force]

Creates the pyrelease GitHub App from its manifest (app.yml), as Probot's setup does: it serves
a page on 127.0.0.1 that sends the manifest to GitHub; after you confirm, GitHub sends your
browser back and the App's ID, slug, webhook secret and private key are written to files.
Nothing secret is printed. Then install the App on your repositories from the link shown.

  --webhook-url URL   where GitHub sends events, e.g. https://bot.example.com/api/github/webhooks
  --env-file FILE     APP_ID, APP_SLUG, PRIVATE_KEY_PATH and WEBHOOK_SECRET are set here, other
                      lines are kept (default: .env); written with mode 0600
  --key-file FILE     the private key, mode 0600 (default: github-app.private-key.pem beside the env file)
  --org ORG           create the App under this organisation (default: your personal account)
  --name NAME         the App's name (default: the name in app.yml); must be unique on GitHub
  --homepage URL      the App's homepage (default: app.yml's url, else the webhook URL's origin)
  --manifest FILE     the manifest (default: ./app.yml, else the one shipped with pyrelease)
  --port N            port of the local page (default: any free port)
  --force             replace an App already configured in the env file or an existing key file

Environment:
  GHE_HOST, GHE_PROTOCOL   GitHub Enterprise Server host (and http/https) instead of github.com

Exit status: 0 when the App was created and the files written, 1 when GitHub refused or
nothing came back in time, 2 on usage errors.
`;

const SHIPPED_MANIFEST = fileURLToPath(new URL('../../app.yml', import.meta.url));
const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;

export interface GithubCommandHooks {
  /** Told the local page's URL once it is up (tests drive the browser part through it). */
  readonly onListening?: (url: string) => void;
  readonly timeoutMs?: number;
}

export async function githubCommand(args: readonly string[], io: CliIo, hooks: GithubCommandHooks = {}): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'setup') {
    io.err(`pyrelease github: expected "setup"\n\n${GITHUB_USAGE}`);
    return EXIT_USAGE;
  }
  const usage = (message: string): number => {
    io.err(`pyrelease github setup: ${message}\n\n${GITHUB_USAGE}`);
    return EXIT_USAGE;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        'webhook-url': { type: 'string' },
        'env-file': { type: 'string', default: '.env' },
        'key-file': { type: 'string' },
        org: { type: 'string' },
        name: { type: 'string' },
        homepage: { type: 'string' },
        manifest: { type: 'string' },
        port: { type: 'string', default: '0' },
        force: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) return usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const webhookUrl = values['webhook-url'];
  if (webhookUrl === undefined || !isHttpUrl(webhookUrl)) return usage('--webhook-url must be an http(s) URL');
  if (values.homepage !== undefined && !isHttpUrl(values.homepage)) return usage('--homepage must be an http(s) URL');
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) return usage('--port must be a port number');
  const urls = githubUrls(io.env);
  if (!urls.ok) return usage(urls.errors.join('; '));

  const envFile = resolve(io.cwd, values['env-file']);
  const keyFile = resolve(io.cwd, values['key-file'] ?? resolve(dirname(envFile), 'github-app.private-key.pem'));
  if (!values.force) {
    if (await exists(keyFile)) return usage(`${keyFile} exists: pass --force to replace it`);
    const env = await readFile(envFile, 'utf8').catch(() => '');
    if (/^\s*(?:export\s+)?APP_ID\s*=/m.test(env)) return usage(`${envFile} already configures an App (APP_ID): pass --force to replace it`);
  }

  const manifestPath = values.manifest === undefined ? ((await exists(resolve(io.cwd, 'app.yml'))) ? resolve(io.cwd, 'app.yml') : SHIPPED_MANIFEST) : resolve(io.cwd, values.manifest);
  let appYml: Record<string, unknown>;
  try {
    const loaded: unknown = parseYaml(await readFile(manifestPath, 'utf8'));
    if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) return usage(`${manifestPath} is not a YAML mapping`);
    appYml = loaded as Record<string, unknown>;
  } catch {
    return usage(`cannot read the manifest ${manifestPath}`);
  }

  const timeoutMs = hooks.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = await runManifestFlow({
    appYml,
    webhookUrl,
    webUrl: urls.webUrl,
    apiUrl: urls.apiUrl,
    org: values.org ?? null,
    files: { envFile, keyFile },
    name: values.name,
    homepageUrl: values.homepage,
    port: Number(values.port),
    timeoutMs,
    onListening: (url) => {
      io.out(`Open ${url} in a browser to create the App on ${new URL(urls.webUrl).host} (waiting up to ${Math.round(timeoutMs / 60_000)} minutes).\n`);
      hooks.onListening?.(url);
    },
  });
  if (!result.ok) {
    io.err(`pyrelease github setup: ${result.reason}\n`);
    return EXIT_INVALID;
  }
  io.out(
    [
      `created GitHub App ${result.slug} (id ${result.appId})`,
      `wrote APP_ID, APP_SLUG, PRIVATE_KEY_PATH and WEBHOOK_SECRET to ${envFile}`,
      `wrote the private key to ${keyFile} (mode 0600)`,
      `install it: ${result.installUrl}`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
