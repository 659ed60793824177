import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { listIndexFiles, lookupFile } from '../../src/publishing/index-lookup.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex, FakeIndexOptions } from '../fakes/fake-index.js';
import { digestsOf, rawUpload } from '../fakes/fake-index-form.js';

const user = 'reader';
const password = `pw-${randomBytes(12).toString('hex')}`;
const auth = { username: user, password };
const wheelName = 'sample_pkg-1.2.3-py3-none-any.whl';
const sdistName = 'sample_pkg-1.2.3.tar.gz';
const wheel = Buffer.from('wheel & <bytes>');
const sdist = Buffer.from('sdist bytes');

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function seeded(options: FakeIndexOptions): Promise<FakeIndex> {
  const index = await startFakeIndex({ users: { [user]: password }, ...options });
  closers.push(() => index.close());
  for (const [filename, content] of [[wheelName, wheel], [sdistName, sdist]] as const) {
    expect((await rawUpload(index.uploadUrl, { filename, content, auth })).status).toBeLessThan(300);
  }
  return index;
}

/** A fetch that asks for HTML only, to exercise the PEP 503 fallback against the fake. */
const htmlOnly: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), Accept: 'text/html' } });

async function thrown(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

function expectNoSecret(error: AppError): void {
  const seen = JSON.stringify({ message: error.message, details: error.details, cause: String(error.cause) });
  expect(seen).not.toContain(password);
  expect(seen).not.toContain(Buffer.from(`${user}:${password}`).toString('base64'));
}

describe('listIndexFiles / lookupFile against the fake index', () => {
  describe.each([
    ['pypi', 'JSON', undefined],
    ['pypi', 'HTML', htmlOnly],
    ['gitlab', 'JSON', undefined],
    ['gitlab', 'HTML', htmlOnly],
  ] as const)('%s flavour, %s', (flavour, _format, customFetch) => {
    const opts = (extra: object = {}): object => ({ auth, ...(customFetch === undefined ? {} : { fetch: customFetch }), ...extra });

    it('lists every file with its sha256 and a downloadable URL', async () => {
      const index = await seeded({ flavour, privateReads: flavour === 'gitlab' });
      const files = await listIndexFiles(index.simpleUrl, 'Sample_Pkg', opts());
      expect(files.map((f) => [f.filename, f.sha256])).toEqual([
        [wheelName, digestsOf(wheel).sha256],
        [sdistName, digestsOf(sdist).sha256],
      ]);
      const res = await fetch(files[0]?.url ?? '', { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
      expect(Buffer.from(await res.arrayBuffer()).equals(wheel)).toBe(true);
    });

    it.each([
      [wheelName, { state: 'present', sha256: digestsOf(wheel).sha256 }],
      [sdistName, { state: 'present', sha256: digestsOf(sdist).sha256 }],
      ['sample_pkg-1.2.4.tar.gz', { state: 'absent' }],
      ['Sample_Pkg-1.2.3.tar.gz', { state: 'absent' }],
    ])('lookupFile(%s)', async (filename, want) => {
      const index = await seeded({ flavour });
      expect(await lookupFile(index.simpleUrl, 'sample-pkg', filename, opts())).toEqual(want);
    });

    it('an unknown project is [] and absent', async () => {
      const index = await seeded({ flavour });
      expect(await listIndexFiles(index.simpleUrl, 'no-such-project', opts())).toEqual([]);
      expect(await lookupFile(index.simpleUrl, 'no-such-project', wheelName, opts())).toEqual({ state: 'absent' });
    });
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', { username: user, password: 'wrong' }],
  ])('a private index with %s is index-auth, permanent', async (_what, creds) => {
    const index = await seeded({ flavour: 'gitlab', privateReads: true });
    const error = await thrown(listIndexFiles(index.simpleUrl, 'sample-pkg', creds === undefined ? {} : { auth: creds }));
    expect([error.code, error.retryable, error.details['status']]).toEqual(['index-auth', false, 401]);
  });

  it('takes credentials from the URL, and never repeats them', async () => {
    const index = await seeded({ flavour: 'gitlab', privateReads: true });
    const withCreds = index.simpleUrl.replace('http://', `http://${user}:${password}@`);
    expect(await lookupFile(withCreds, 'sample-pkg', wheelName)).toEqual({ state: 'present', sha256: digestsOf(wheel).sha256 });
    const error = await thrown(listIndexFiles(withCreds.replace(password, 'wrong'), 'sample-pkg'));
    expect(error.code).toBe('index-auth');
    expect(error.message).not.toContain('wrong');
    expectNoSecret(await thrown(listIndexFiles(index.simpleUrl, 'sample-pkg', { auth: { username: user, password: `${password}x` } })));
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function raw(handler: Handler): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`, hits };
}

const SHA = 'AB'.repeat(32);
const answer = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'Content-Type': type, ...headers });
  res.end(body);
};
const json = (body: unknown): Handler => answer(200, 'application/vnd.pypi.simple.v1+json', JSON.stringify(body));

describe('listIndexFiles against raw servers', () => {
  it.each<[string, Handler, Array<[string, string | null, string | null]>]>([
    ['JSON with a relative URL and an upper-case hash', json({ meta: { 'api-version': '1.0' }, name: 'p', files: [{ filename: 'p-1.tar.gz', url: '../../files/p-1.tar.gz', hashes: { sha256: SHA } }] }), [['p-1.tar.gz', SHA.toLowerCase(), '/files/p-1.tar.gz']]],
    ['JSON with extra keys and no sha256', json({ meta: { 'api-version': '1.3', extra: 1 }, name: 'p', files: [{ filename: 'p-1.tar.gz', url: 'https://files.example/p-1.tar.gz', hashes: { md5: 'x' }, yanked: 'bad' }] }), [['p-1.tar.gz', null, 'https://files.example/p-1.tar.gz']]],
    ['application/json is read as JSON', answer(200, 'application/json', JSON.stringify({ meta: { 'api-version': '1.0' }, files: [] })), []],
    [
      'HTML with entities, single quotes, a comment and an anchor without href',
      answer(200, 'text/html; charset=utf-8', `<!-- <a href="fake.tar.gz">fake.tar.gz</a> --><html><body><a name="top">x</a>
        <A HREF='/f/p-1.0&#x2b;x.tar.gz#sha256=${SHA}' data-requires-python="&gt;=3.8">p-1.0&#43;x.tar.gz</A><br>
        <a href="p-2.whl#md5=abc">  p-2.whl </a><a href="../../p-3.zip"></a></body></html>`),
      [
        ['p-1.0+x.tar.gz', SHA.toLowerCase(), '/f/p-1.0+x.tar.gz'],
        ['p-2.whl', null, '/simple/p/p-2.whl'],
        ['p-3.zip', null, '/p-3.zip'],
      ],
    ],
    ['PEP 691 HTML content type', answer(200, 'application/vnd.pypi.simple.v1+html', '<a href="p-1.whl">p-1.whl</a>'), [['p-1.whl', null, '/simple/p/p-1.whl']]],
    ['a 404 is no project', answer(404, 'text/plain', 'nope'), []],
  ])('%s', async (_what, handler, want) => {
    const server = await raw(handler);
    const files = await listIndexFiles(server.url, 'P', {});
    const origin = new URL(server.url).origin;
    expect(files.map((f) => [f.filename, f.sha256, f.url?.startsWith(origin) ? f.url.slice(origin.length) : f.url])).toEqual(want);
    expect(server.hits).toEqual(['/simple/p/']);
  });

  it.each<[string, Handler, string, boolean]>([
    ['invalid JSON', answer(200, 'application/vnd.pypi.simple.v1+json', '{"meta":'), 'index-unavailable', true],
    ['JSON without files', json({ meta: { 'api-version': '1.0' } }), 'index-unavailable', true],
    ['JSON with a file name that is not a string', json({ meta: { 'api-version': '1.0' }, files: [{ filename: 3, url: 'x', hashes: {} }] }), 'index-unavailable', true],
    ['a major api-version it does not know', json({ meta: { 'api-version': '2.0' }, files: [] }), 'index-unavailable', true],
    ['an unknown content type', answer(200, 'application/xml', '<x/>'), 'index-unavailable', true],
    ['500', answer(500, 'text/plain', 'boom'), 'index-unavailable', true],
    ['503', answer(503, 'text/plain', 'later', { 'Retry-After': '3' }), 'index-unavailable', true],
    ['429', answer(429, 'text/plain', 'slow down'), 'index-unavailable', true],
    ['401', answer(401, 'text/plain', 'who'), 'index-auth', false],
    ['403', answer(403, 'text/plain', 'no'), 'index-auth', false],
    ['418', answer(418, 'text/plain', 'teapot'), 'index-unavailable', false],
    ['a declared 21 MB body', (_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': String(21 * 1024 * 1024) }); res.write('<a'); }, 'index-unavailable', false],
    ['a streamed body over 20 MB', (_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); const chunk = Buffer.alloc(1024 * 1024, 0x20); for (let i = 0; i < 21; i++) res.write(chunk); res.end(); }, 'index-unavailable', false],
    ['a redirect loop', (_req, res) => { res.writeHead(302, { Location: '/simple/p/' }); res.end(); }, 'index-unavailable', false],
  ])('%s -> %s', async (_what, handler, code, retryable) => {
    const server = await raw(handler);
    const error = await thrown(listIndexFiles(server.url, 'p', { auth }));
    expect([error.code, error.retryable]).toEqual([code, retryable]);
    expect(error.message).toContain('/simple/p/');
    expectNoSecret(error);
  });

  it('follows a same-origin redirect with the credentials', async () => {
    const server = await raw((req, res) => {
      if (req.url === '/simple/p/') {
        res.writeHead(301, { Location: '/elsewhere/p/' });
        res.end();
      } else answer(200, 'text/html', req.headers.authorization === undefined ? '' : '<a href="p-1.whl">p-1.whl</a>')(req, res);
    });
    expect((await listIndexFiles(server.url, 'p', { auth })).map((f) => f.filename)).toEqual(['p-1.whl']);
    expect(server.hits).toEqual(['/simple/p/', '/elsewhere/p/']);
  });

  it('never follows a redirect to another origin (SSRF), and the other host is never contacted', async () => {
    const other = await raw(answer(200, 'text/html', '<a href="p-1.whl">p-1.whl</a>'));
    const server = await raw((_req, res) => {
      res.writeHead(302, { Location: `${other.url}p/` });
      res.end();
    });
    const error = await thrown(listIndexFiles(server.url, 'p', { auth }));
    expect([error.code, error.retryable]).toEqual(['index-unavailable', false]);
    expect(other.hits).toEqual([]);
    expectNoSecret(error);
  });

  it('a server that never answers is a retryable timeout', async () => {
    const server = await raw(() => undefined);
    const started = Date.now();
    const error = await thrown(listIndexFiles(server.url, 'p', { timeoutMs: 200 }));
    expect([error.code, error.retryable, error.details['reason']]).toEqual(['index-unavailable', true, 'timeout']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a body that stalls after the headers times out too', async () => {
    const server = await raw((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.write('<a href="x">');
    });
    const error = await thrown(listIndexFiles(server.url, 'p', { timeoutMs: 200 }));
    expect([error.code, error.details['reason']]).toEqual(['index-unavailable', 'timeout']);
  });

  it('a closed port is a retryable network error', async () => {
    const server = await raw(() => undefined);
    await closers.pop()?.();
    const error = await thrown(listIndexFiles(server.url, 'p', { timeoutMs: 2_000 }));
    expect([error.code, error.retryable, error.details['reason']]).toEqual(['index-unavailable', true, 'network']);
  });

  it('sends the PEP 691 Accept header and a PEP 503 normalized name', async () => {
    let accept: string | undefined;
    const server = await raw((req, res) => {
      accept = req.headers.accept;
      answer(404, 'text/plain', '')(req, res);
    });
    await listIndexFiles(server.url.slice(0, -1), 'My.Odd__Name', {});
    expect(server.hits).toEqual(['/simple/my-odd-name/']);
    expect(accept).toBe('application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01');
  });
});
