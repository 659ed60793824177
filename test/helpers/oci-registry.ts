import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

/**
 * The real Distribution registry (Debian's `docker-registry`, 2.8) on a free loopback
 * port with its own storage dir, optionally behind htpasswd (Basic) or token (Bearer)
 * auth, plus a small token server of the kind docs/spec/auth/token.md describes: it
 * checks Basic credentials and signs an ES256 JWT whose x5c certificate the registry
 * trusts through `rootcertbundle`.
 */
const run = promisify(execFile);
export const REGISTRY_BIN = '/usr/bin/docker-registry';

export type RegistryAuth =
  | { readonly kind: 'htpasswd'; readonly username: string; readonly password: string }
  | { readonly kind: 'token'; readonly realm: string; readonly service: string; readonly issuer: string; readonly certPem: string };

export interface OciRegistry {
  readonly url: string;
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * A bcrypt htpasswd line (the registry accepts bcrypt only): apache2-utils' htpasswd, else
 * Python's crypt module (Debian bookworm's python3 3.11 has it; 3.13 dropped it). Cost 4,
 * the minimum, because the registry checks the hash on every request.
 */
async function htpasswdLine(username: string, password: string): Promise<string> {
  try {
    return (await run('htpasswd', ['-nbB', '-C', '4', username, password])).stdout.trim();
  } catch {
    const script = 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
    return (await run('/usr/bin/python3', ['-W', 'ignore', '-c', script, username, password])).stdout.trim();
  }
}

async function authSection(auth: RegistryAuth | undefined, dir: string): Promise<string> {
  if (auth === undefined) return '';
  if (auth.kind === 'htpasswd') {
    await writeFile(join(dir, 'htpasswd'), `${await htpasswdLine(auth.username, auth.password)}\n`);
    return `auth:\n  htpasswd:\n    realm: pyrelease-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  await writeFile(join(dir, 'token-root.pem'), auth.certPem);
  return [
    'auth:',
    '  token:',
    `    realm: ${JSON.stringify(auth.realm)}`,
    `    service: ${JSON.stringify(auth.service)}`,
    `    issuer: ${JSON.stringify(auth.issuer)}`,
    `    rootcertbundle: ${join(dir, 'token-root.pem')}`,
    '',
  ].join('\n');
}

async function waitUntilServing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.pid === undefined) throw new Error(`could not start ${REGISTRY_BIN} (install Debian's docker-registry)`);
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(new URL('/v2/', url));
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry on ${url} did not answer GET /v2/:\n${log()}`);
}

export async function startOciRegistry(auth?: RegistryAuth): Promise<OciRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-oci-'));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: pyrelease-test-only',
    await authSection(auth, dir),
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.once('error', (error) => (out += `${error.message} (Debian package docker-registry)\n`));
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url, child, () => out);
  return {
    url,
    dir,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certPem: string;
  /** Every request: the query and whether Basic credentials came with it. */
  readonly requests: { query: string; authorization: string | null }[];
  /** A token for the test's own pushes, as if asked with good credentials. */
  mint(repository: string): string;
  close(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenServer(user: { username: string; password: string }): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-oci-token-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=pyrelease test token issuer', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const key = createPrivateKey(await readFile(join(dir, 'key.pem')));
  const certPem = await readFile(join(dir, 'cert.pem'), 'utf8');
  await rm(dir, { recursive: true, force: true });
  const x5c = new X509Certificate(certPem).raw.toString('base64');
  const service = 'pyrelease-test-registry';
  const issuer = 'pyrelease-test-issuer';
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

  const mint = (repository: string, actions: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [x5c] }));
    const claims = b64url(JSON.stringify({
      iss: issuer, sub: user.username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(),
      access: [{ type: 'repository', name: repository, actions }],
    }));
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${claims}.${b64url(signature)}`;
  };

  const requests: TokenServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorization = req.headers.authorization ?? null;
    requests.push({ query: url.search, authorization });
    const scope = /^repository:([^:]+):/.exec(url.searchParams.get('scope') ?? '');
    if (url.pathname !== '/token' || url.searchParams.get('service') !== service || scope === null) {
      res.writeHead(400).end();
    } else if (authorization !== null && authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}');
    } else {
      // Anonymous callers get a token that grants nothing, as public registries do for private repos.
      const token = mint(scope[1] ?? '', authorization === null ? [] : ['pull', 'push']);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPem,
    requests,
    mint: (repository) => mint(repository, ['pull', 'push']),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | null;
}

/** Lets a test change one answer: return a replacement, or null to pass the registry's through. */
export type Tamper = (req: ProxiedRequest, answer: { status: number; headers: Record<string, string>; body: Buffer }) => { status: number; headers: Record<string, string>; body: Buffer } | null;

export interface RegistryProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  tamper: Tamper | null;
  close(): Promise<void>;
}

/** A loopback proxy in front of a real registry, to see what a client sends and to stage faults. */
export async function startRegistryProxy(upstream: string): Promise<RegistryProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const seen = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization ?? null };
        requests.push(seen);
        const headers: Record<string, string> = {};
        for (const name of ['accept', 'authorization', 'content-type']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
        const answer = await fetch(new URL(seen.path, upstream), { method: seen.method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
        const out = { status: answer.status, headers: Object.fromEntries(answer.headers), body: Buffer.from(await answer.arrayBuffer()) };
        const final = self.tamper?.(seen, out) ?? out;
        for (const name of ['transfer-encoding', 'connection', 'keep-alive', 'content-encoding']) delete final.headers[name];
        if (seen.method !== 'HEAD') final.headers['content-length'] = String(final.body.length);
        res.writeHead(final.status, final.headers).end(seen.method === 'HEAD' ? undefined : final.body);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const self: RegistryProxy = {
    url: `http://127.0.0.1:${port}`,
    requests,
    tamper: null,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return self;
}
