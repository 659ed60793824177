import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubCommand } from '../../../src/cli/github-command.js';
import { buildManifest, createAppUrl, manifestPage } from '../../../src/platforms/github/setup-manifest.js';
import { convertManifestCode } from '../../../src/platforms/github/setup.js';
import { captureIo } from '../../helpers/cli-io.js';

const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/**
 * A fake GitHub on loopback for the manifest flow, as documented ("Registering a GitHub
 * App from a manifest", REST "Create a GitHub App from a manifest"): the create-app form
 * takes a `manifest` field and redirects to its redirect_url with a code and the state;
 * POST /app-manifests/{code}/conversions answers 201 once per code, then 404.
 */
interface FakeGithub {
  readonly url: string;
  readonly manifests: Array<{ path: string; manifest: Record<string, unknown> }>;
  readonly conversions: string[];
  secret: string;
  clientSecret: string;
  refuseConversions: boolean;
  close(): Promise<void>;
}

async function fakeGithub(): Promise<FakeGithub> {
  const codes = new Set<string>();
  const state: FakeGithub = {
    url: '',
    manifests: [],
    conversions: [],
    secret: '',
    clientSecret: '',
    refuseConversions: false,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && /^(?:\/organizations\/[^/]+)?\/settings\/apps\/new$/.test(url.pathname)) {
        const form = new URLSearchParams(await body(req));
        const manifest = JSON.parse(form.get('manifest') ?? 'null') as Record<string, unknown>;
        state.manifests.push({ path: url.pathname, manifest });
        const code = randomBytes(10).toString('hex');
        codes.add(code);
        const back = new URL(String(manifest['redirect_url']));
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.toString() }).end();
        return;
      }
      const conversion = /^\/api\/v3\/app-manifests\/([^/]+)\/conversions$/.exec(url.pathname);
      if (req.method === 'POST' && conversion !== null) {
        const code = conversion[1] as string;
        state.conversions.push(code);
        if (state.refuseConversions || !codes.delete(code)) return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        state.secret = randomBytes(20).toString('hex');
        state.clientSecret = randomBytes(20).toString('hex');
        return json(201, {
          id: 31337,
          slug: 'pyrelease-acme',
          node_id: 'MDM6QXBwNTk=',
          owner: { login: 'acme', id: 1 },
          name: 'pyrelease acme',
          html_url: `${state.url}/apps/pyrelease-acme`,
          client_id: 'Iv1.8a61f9b3a7aba766',
          client_secret: state.clientSecret,
          webhook_secret: state.secret,
          pem: PEM,
          permissions: { contents: 'write' },
          events: ['push'],
        });
      }
      json(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** What the browser does: load the page, submit its form to GitHub, follow GitHub's redirect back. */
async function browse(pageUrl: string, tamper: (callback: URL) => void = () => undefined): Promise<Response> {
  const page = await (await fetch(pageUrl)).text();
  const action = unescapeHtml(/<form action="([^"]+)"/.exec(page)?.[1] ?? '');
  const manifest = unescapeHtml(/name="manifest" value="([^"]+)"/.exec(page)?.[1] ?? '');
  const created = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
  const callback = new URL(created.headers.get('location') ?? '');
  tamper(callback);
  return fetch(callback, { redirect: 'manual' });
}

let github: FakeGithub;
let dir: string;
beforeAll(async () => {
  github = await fakeGithub();
});
afterAll(async () => {
  await github.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pyrelease-setup-'));
  github.manifests.length = 0;
  github.conversions.length = 0;
  github.refuseConversions = false;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ioFor = () => captureIo({ env: { GHE_HOST: new URL(github.url).host, GHE_PROTOCOL: 'http' }, cwd: dir });
const WEBHOOK = 'https://bot.example.com/api/github/webhooks';

async function setup(args: string[], browser: (url: string) => Promise<void>, timeoutMs = 10_000) {
  const io = ioFor();
  let browsing: Promise<void> = Promise.resolve();
  const code = await githubCommand(['setup', '--webhook-url', WEBHOOK, ...args], io, { timeoutMs, onListening: (url) => void (browsing = browser(url)) });
  await browsing;
  return { code, io };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('pyrelease github setup', () => {
  it('creates the App through the manifest flow and writes the credentials to 0600 files only', async () => {
    await writeFile(join(dir, '.env'), 'REDIS_URL=redis://127.0.0.1:6379\nPRIVATE_KEY="old"\n', { mode: 0o644 });
    let answer: Response | undefined;
    const { code, io } = await setup(['--force'], async (url) => {
      answer = await browse(url);
    });
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    expect(answer?.status).toBe(302);
    expect(answer?.headers.get('location')).toBe(`${github.url}/apps/pyrelease-acme/installations/new`);

    const keyFile = join(dir, 'github-app.private-key.pem');
    expect(await readFile(keyFile, 'utf8')).toBe(PEM);
    expect(await mode(keyFile)).toBe(0o600);
    expect(await mode(join(dir, '.env'))).toBe(0o600);
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe(
      `REDIS_URL=redis://127.0.0.1:6379\nAPP_ID=31337\nAPP_SLUG=pyrelease-acme\nPRIVATE_KEY_PATH=${keyFile}\nWEBHOOK_SECRET=${github.secret}\n`,
    );

    // The manifest GitHub received: app.yml's events and permissions, our hook, a loopback redirect, private.
    expect(github.manifests).toHaveLength(1);
    expect(github.manifests[0]?.path).toBe('/settings/apps/new');
    const manifest = github.manifests[0]?.manifest ?? {};
    expect(manifest).toMatchObject({
      name: 'pyrelease',
      url: 'https://bot.example.com',
      public: false,
      hook_attributes: { url: WEBHOOK, active: true },
      default_events: ['push', 'pull_request', 'issue_comment'],
      default_permissions: { contents: 'write', pull_requests: 'write', checks: 'write', metadata: 'read' },
    });
    expect(String(manifest['redirect_url'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const printed = io.stdout() + io.stderr();
    expect(printed).toContain('created GitHub App pyrelease-acme (id 31337)');
    for (const secret of [github.secret, github.clientSecret, PEM.split('\n')[1] as string]) expect(printed).not.toContain(secret);
    expect(await readFile(join(dir, '.env'), 'utf8')).not.toContain(github.clientSecret);
  });

  it('creates the App under an organisation with the name given', async () => {
    await mkdir(join(dir, 'keys'));
    const { code } = await setup(['--org', 'acme', '--name', 'pyrelease acme', '--key-file', 'keys/app.pem'], async (url) => {
      await browse(url);
    });
    expect(code).toBe(0);
    expect(github.manifests[0]).toMatchObject({ path: '/organizations/acme/settings/apps/new', manifest: { name: 'pyrelease acme' } });
    expect(await mode(join(dir, 'keys', 'app.pem'))).toBe(0o600);
  });

  it('refuses a callback with the wrong state, and still finishes with the right one', async () => {
    const { code } = await setup([], async (url) => {
      const forged = await fetch(`${url}callback?code=abc&state=guess`);
      expect(forged.status).toBe(400);
      expect((await browse(url)).status).toBe(302);
    });
    expect(code).toBe(0);
    // The forged code never reached GitHub.
    expect(github.conversions).toHaveLength(1);
  });

  it('answers only to its own host name (no DNS rebinding)', async () => {
    const { code } = await setup([], async (url) => {
      const status = await new Promise<number>((resolve) => {
        request(url, { headers: { host: 'evil.example:80' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).end();
      });
      expect(status).toBe(421);
      await browse(url);
    });
    expect(code).toBe(0);
  });

  it('fails without writing anything when GitHub refuses the code', async () => {
    github.refuseConversions = true;
    let answer: Response | undefined;
    const { code, io } = await setup([], async (url) => {
      answer = await browse(url);
    });
    expect(code).toBe(1);
    expect(answer?.status).toBe(502);
    expect(io.stderr()).toContain('GitHub refused the code (HTTP 404)');
    await expect(stat(join(dir, '.env'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(dir, 'github-app.private-key.pem'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up after the timeout', async () => {
    const { code, io } = await setup([], async () => undefined, 150);
    expect(code).toBe(1);
    expect(io.stderr()).toContain('no answer from GitHub within');
  });

  it.each([
    ['no webhook URL', ['setup'], '--webhook-url must be an http(s) URL'],
    ['another action', ['install'], 'expected "setup"'],
    ['a bad port', ['setup', '--webhook-url', WEBHOOK, '--port', 'x'], '--port must be a port number'],
    ['an unknown flag', ['setup', '--webhook-url', WEBHOOK, '--secret', 'x'], "Unknown option '--secret'"],
  ])('usage error: %s', async (_name, args, message) => {
    const io = ioFor();
    expect(await githubCommand(args, io)).toBe(2);
    expect(io.stderr()).toContain(message);
  });

  it('will not replace a configured App or key without --force', async () => {
    await writeFile(join(dir, '.env'), 'APP_ID=1\n');
    const io = ioFor();
    expect(await githubCommand(['setup', '--webhook-url', WEBHOOK], io)).toBe(2);
    expect(io.stderr()).toContain('already configures an App');
    await rm(join(dir, '.env'));
    await writeFile(join(dir, 'github-app.private-key.pem'), 'x');
    expect(await githubCommand(['setup', '--webhook-url', WEBHOOK], io)).toBe(2);
    expect(io.stderr()).toContain('exists: pass --force');
  });
});

describe('convertManifestCode', () => {
  it('does not send a malformed code', async () => {
    expect(await convertManifestCode(`${github.url}/api/v3`, '../../x')).toEqual({ ok: false, reason: 'the code from GitHub is malformed' });
    expect(github.conversions).toEqual([]);
  });

  it('reports an unreachable GitHub without details', async () => {
    expect(await convertManifestCode('http://127.0.0.1:1/api/v3', 'abc')).toEqual({ ok: false, reason: 'GitHub could not be reached' });
  });
});

describe('the manifest page', () => {
  it('escapes the manifest into the form', () => {
    const manifest = buildManifest({ appYml: { name: '<script>"x"</script>' }, webhookUrl: WEBHOOK, redirectUrl: 'http://127.0.0.1:1/callback' });
    const html = manifestPage('https://github.com/settings/apps/new?state=s', manifest);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;\\&quot;x');
  });

  it.each([
    ['https://github.com', null, 'https://github.com/settings/apps/new?state=s1'],
    ['https://github.com', 'acme-inc', 'https://github.com/organizations/acme-inc/settings/apps/new?state=s1'],
    ['http://ghe.local:8080', null, 'http://ghe.local:8080/settings/apps/new?state=s1'],
    ['https://github.com', '../evil', null],
  ])('createAppUrl(%s, %s)', (web, org, expected) => {
    expect(createAppUrl(web, org, 's1')).toBe(expected);
  });
});
