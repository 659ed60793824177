import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleDists, SYSTEM_PYTHON } from '../helpers/sample-dists.js';
import type { SampleDists } from '../helpers/sample-dists.js';
import { startFakeIndex } from './fake-index.js';
import type { FakeIndex, FakeIndexOptions } from './fake-index.js';
import { basicHeader, digestsOf, rawUpload } from './fake-index-form.js';
import type { RawUpload } from './fake-index-form.js';

const user = 'uploader';
const password = randomBytes(12).toString('hex');
const auth = { username: user, password };
const JSON_ACCEPT = 'application/vnd.pypi.simple.v1+json';

let dists: SampleDists;
let wheel: Buffer;
let sdist: Buffer;
let tmp: string;
const open: FakeIndex[] = [];

async function start(options: FakeIndexOptions = {}): Promise<FakeIndex> {
  const index = await startFakeIndex({ users: { [user]: password }, ...options });
  open.push(index);
  return index;
}

interface Run {
  code: number;
  out: string;
}

function run(cmd: string, args: string[], timeout = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', NO_COLOR: '1', HOME: tmp };
    execFile(cmd, args, { timeout, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

function twine(index: FakeIndex, files: string[], extra: string[] = [], pass = password): Promise<Run> {
  return run('/usr/bin/twine', ['upload', '--repository-url', index.uploadUrl, '-u', user, '-p', pass, '--disable-progress-bar', '--non-interactive', ...extra, ...files]);
}

beforeAll(async () => {
  dists = await sampleDists('1.2.3', 'sample-pkg');
  wheel = await readFile(dists.wheel);
  sdist = await readFile(dists.sdist);
  tmp = await mkdtemp(join(tmpdir(), 'fake-index-test-'));
}, 120_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the fake against the real clients (twine 4.0.2, pip 23)', () => {
  it.each(['pypi', 'gitlab'] as const)('%s: twine uploads, pip downloads the same bytes', async (flavour) => {
    const index = await start({ flavour, privateReads: flavour === 'gitlab' });
    const up = await twine(index, [dists.sdist, dists.wheel]);
    expect(up.code, up.out).toBe(0);
    expect(index.uploads.map((u) => u.status)).toEqual(flavour === 'pypi' ? [200, 200] : [201, 201]);
    const stored = index.files();
    expect(stored.map((f) => f.filename).sort()).toEqual([basename(dists.sdist), basename(dists.wheel)].sort());
    expect(stored.find((f) => f.filetype === 'bdist_wheel')?.sha256).toBe(digestsOf(wheel).sha256);
    expect(stored[0]?.fields['name']).toEqual(['sample-pkg']);
    expect(stored[0]?.fields[':action']).toEqual(['file_upload']);
    const dest = await mkdtemp(join(tmp, 'pip-'));
    // GitLab's docs put the token into the index URL; pip sends it as Basic auth.
    const simple = flavour === 'gitlab' ? index.simpleUrl.replace('http://', `http://${user}:${password}@`) : index.simpleUrl;
    const pip = await run(SYSTEM_PYTHON, ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--index-url', simple, '-d', dest, 'Sample.Pkg==1.2.3']);
    expect(pip.code, pip.out).toBe(0);
    expect(pip.out).not.toContain(password);
    const got = await readdir(dest);
    expect(got).toEqual([basename(dists.wheel)]);
    expect((await readFile(join(dest, got[0] ?? ''))).equals(wheel)).toBe(true);
  });

  it('pypi: an identical re-upload succeeds without --skip-existing; other bytes under the same name fail, --skip-existing skips them', async () => {
    const index = await start();
    expect((await twine(index, [dists.sdist])).code).toBe(0);
    const again = await twine(index, [dists.sdist]);
    expect(again.code, again.out).toBe(0);
    // Same file name, other bytes: a second gzip member keeps the archive valid.
    const changed = join(await mkdtemp(join(tmp, 'changed-')), basename(dists.sdist));
    await writeFile(changed, Buffer.concat([sdist, gzipSync(Buffer.alloc(0))]));
    const clash = await twine(index, [changed]);
    expect(clash.code).not.toBe(0);
    expect(clash.out).toContain('File already exists');
    const skipped = await twine(index, [changed], ['--skip-existing']);
    expect(skipped.code, skipped.out).toBe(0);
    expect(skipped.out).toMatch(/Skipping .* appears to already exist/);
    expect(index.uploads.map((u) => u.status)).toEqual([200, 200, 400, 400]);
    expect(index.files()).toHaveLength(1);
  });

  it('gitlab: a re-upload is a 400 twine reports; twine 4.0.2 still honours --skip-existing there', async () => {
    const index = await start({ flavour: 'gitlab' });
    expect((await twine(index, [dists.wheel])).code).toBe(0);
    const again = await twine(index, [dists.wheel]);
    expect(again.code).not.toBe(0);
    expect(again.out).toContain('400 Bad Request');
    const skipped = await twine(index, [dists.wheel], ['--skip-existing']);
    expect(skipped.code, skipped.out).toBe(0);
    expect(index.uploads.map((u) => u.status)).toEqual([201, 400, 400]);
  });

  it.each([
    ['pypi', '403 Forbidden'],
    ['gitlab', '401 Unauthorized'],
  ] as const)('%s: a wrong password fails twine with %s and stores nothing', async (flavour, shown) => {
    const index = await start({ flavour });
    const bad = await twine(index, [dists.wheel], [], 'wrong-' + password);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain(shown);
    expect(index.files()).toEqual([]);
  });

  it('pypi: a lost response (stored, then 500) is retried by twine itself and the retry is a no-op 200', async () => {
    const index = await start();
    index.fail(1, { status: 500, afterStore: true });
    const up = await twine(index, [dists.wheel]);
    expect(up.code, up.out).toBe(0);
    expect(index.uploads.map((u) => u.status)).toEqual([500, 200]);
    expect(index.files()).toHaveLength(1);
  });
});

const wheelName = 'sample_pkg-1.2.3-py3-none-any.whl';
const sdistName = 'sample_pkg-1.2.3.tar.gz';
const bytes = (s: string): Buffer => Buffer.from(s);

describe('pypi upload rules (warehouse forklift/legacy.py)', () => {
  const ok = (u: Partial<RawUpload> = {}): RawUpload => ({ filename: wheelName, content: bytes('wheel bytes'), auth, ...u });
  it.each<[string, RawUpload, number, string]>([
    ['a valid wheel', ok(), 200, ''],
    ['a valid sdist', ok({ filename: sdistName }), 200, ''],
    ['a release version equal to the file name one ("1.2.3" vs "1.2.3.0")', ok({ filename: 'sample_pkg-1.2.3.0-py3-none-any.whl' }), 200, ''],
    ['a non-normalized name that normalizes to the file name', ok({ fields: { name: 'Sample.Pkg' } }), 200, ''],
    ['no credentials', ok({ auth: null }), 403, 'Invalid or non-existent authentication'],
    ['a wrong password', ok({ auth: { username: user, password: 'nope' } }), 403, 'Invalid or non-existent authentication'],
    ['an unknown user', ok({ auth: { username: 'other', password } }), 403, 'Invalid or non-existent authentication'],
    ['another :action', ok({ fields: { ':action': 'submit' } }), 400, ':action'],
    ['protocol_version 2', ok({ fields: { protocol_version: '2' } }), 400, 'Unknown protocol version'],
    ['no metadata_version', ok({ fields: { metadata_version: null } }), 400, 'Metadata-Version'],
    ['an unknown metadata_version', ok({ fields: { metadata_version: '9.9' } }), 400, 'Unknown Metadata Version'],
    ['no name', ok({ fields: { name: null } }), 400, 'for Name'],
    ['an invalid name', ok({ fields: { name: '-sample-pkg' } }), 400, 'for Name'],
    ['no version', ok({ fields: { version: null } }), 400, 'for Version'],
    ['an invalid version', ok({ fields: { version: 'one' } }), 400, 'for Version'],
    ['a version with surrounding space', ok({ fields: { version: ' 1.2.3' } }), 400, 'whitespace'],
    ['a local version', ok({ filename: 'sample_pkg-1.2.3+local-py3-none-any.whl', fields: { version: '1.2.3+local' } }), 400, 'local versions'],
    ['an unknown filetype', ok({ fields: { filetype: 'bdist_egg' } }), 400, 'for Type'],
    ['no digest at all', ok({ fields: { sha256_digest: null, blake2_256_digest: null } }), 400, 'at least one message digest'],
    ['a malformed sha256_digest', ok({ fields: { sha256_digest: 'abc' } }), 400, 'sha256_digest'],
    ['a sha256_digest of other content', ok({ fields: { sha256_digest: digestsOf(bytes('other')).sha256 } }), 400, 'digest supplied does not match'],
    ['a blake2_256_digest of other content', ok({ fields: { blake2_256_digest: digestsOf(bytes('other')).blake2 } }), 400, 'digest supplied does not match'],
    ['only a (correct) blake2 digest', ok({ fields: { sha256_digest: null } }), 200, ''],
    ['no content part', { ...ok(), filename: '' }, 400, ''],
    ['a wheel name of another project', ok({ filename: 'other_pkg-1.2.3-py3-none-any.whl' }), 400, "Start filename for 'sample-pkg' with 'sample_pkg'"],
    ['a wheel name of another version', ok({ filename: 'sample_pkg-1.2.4-py3-none-any.whl' }), 400, "Version in filename should be '1.2.3' not '1.2.4'"],
    ['an sdist name of another version', ok({ filename: 'sample_pkg-1.2.4.tar.gz' }), 400, 'Version in filename'],
    ['an unparsable wheel name', ok({ filename: 'sample_pkg-1.2.3.whl' }), 400, 'wheel filename'],
    ['an sdist extension for a wheel', ok({ filename: sdistName, fields: { filetype: 'bdist_wheel' } }), 400, 'Invalid file extension'],
    ['a path in the file name', ok({ filename: 'x/' + wheelName }), 400, ''],
  ])('%s', async (_what, upload, status, reason) => {
    const index = await start();
    const answer = await rawUpload(index.uploadUrl, upload);
    expect(answer.status, answer.text).toBe(status);
    if (reason !== '') {
      // warehouse puts the reason in the status line and the HTML body.
      expect(answer.text).toContain(reason);
      expect(answer.statusText).toContain(reason.replace(/[^\x20-\x7e]/g, '?'));
    }
    expect(index.files()).toHaveLength(status === 200 ? 1 : 0);
    expect(index.uploads).toHaveLength(1);
    expect(index.uploads[0]?.status).toBe(status);
  });

  type Step = [RawUpload | { delete: string }, number, string];
  const A = bytes('first bytes');
  const B = bytes('second bytes');
  it.each<[string, Step[], number]>([
    ['an identical re-upload is a 200 no-op', [[ok({ content: A }), 200, ''], [ok({ content: A }), 200, '']], 1],
    ['the same name with other bytes is "File already exists"', [[ok({ content: A }), 200, ''], [ok({ content: B }), 400, 'File already exists']], 1],
    ['the same bytes under another name is "File already exists"', [[ok({ content: A }), 200, ''], [ok({ content: A, filename: 'sample_pkg-1.2.3-py2.py3-none-any.whl' }), 400, 'File already exists']], 1],
    ['a deleted file name can never be used again', [[ok({ content: A }), 200, ''], [{ delete: wheelName }, 0, ''], [ok({ content: B }), 400, 'already been used']], 0],
    ['one sdist per release', [[ok({ filename: sdistName, content: A }), 200, ''], [ok({ filename: 'sample_pkg-1.2.3.zip', content: B }), 400, 'Only one sdist']], 1],
    ['a release is its canonical version (1.0 and 1.0.0 share one sdist)', [
      [ok({ filename: 'sample_pkg-1.0.tar.gz', content: A, fields: { version: '1.0' } }), 200, ''],
      [ok({ filename: 'sample_pkg-1.0.0.tar.gz', content: B, fields: { version: '1.0.0' } }), 400, 'Only one sdist'],
    ], 1],
    ['wheels and an sdist live side by side', [[ok({ content: A }), 200, ''], [ok({ filename: sdistName, content: B }), 200, '']], 2],
  ])('%s', async (_what, steps, stored) => {
    const index = await start();
    for (const [step, status, reason] of steps) {
      if ('delete' in step) {
        index.deleteFile(step.delete);
        continue;
      }
      const answer = await rawUpload(index.uploadUrl, step);
      expect(answer.status, answer.text).toBe(status);
      expect(answer.text).toContain(reason);
    }
    expect(index.files()).toHaveLength(stored);
  });

  it.each([
    ['just over the limit (read, then refused)', 1_500],
    ['far over the limit (refused from Content-Length)', 3 * 1024 * 1024],
  ])('a file %s is "File too large"', async (_what, size) => {
    const index = await start({ maxFileSize: 1_000 });
    const answer = await rawUpload(index.uploadUrl, ok({ content: Buffer.alloc(size, 7) }));
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('File too large');
    expect(index.files()).toEqual([]);
    // The server still answers afterwards.
    expect((await rawUpload(index.uploadUrl, ok({ content: Buffer.alloc(10, 1) }))).status).toBe(200);
  });
});

describe('gitlab upload rules (lib/api/pypi_packages.rb, create_package_service.rb)', () => {
  const ok = (u: Partial<RawUpload> = {}): RawUpload => ({ filename: wheelName, content: bytes('wheel bytes'), auth, ...u });
  it.each<[string, RawUpload, number, object | null]>([
    ['a valid wheel', ok(), 201, { message: '201 Created' }],
    ['a local version (GitLab allows them)', ok({ filename: 'sample_pkg-1.2.3+cu1-py3-none-any.whl', fields: { version: '1.2.3+cu1' } }), 201, null],
    ['no credentials', ok({ auth: null }), 401, { message: '401 Unauthorized' }],
    ['a wrong password', ok({ auth: { username: user, password: 'nope' } }), 401, { message: '401 Unauthorized' }],
    ['no name', ok({ fields: { name: null } }), 400, { error: 'name is missing' }],
    ['no name and no version', ok({ fields: { name: null, version: null } }), 400, { error: 'name is missing, version is missing' }],
    ['an invalid version', ok({ fields: { version: 'one' } }), 400, null],
    ['a malformed sha256_digest', ok({ fields: { sha256_digest: 'xyz' } }), 400, { error: 'sha256_digest is invalid' }],
  ])('%s', async (_what, upload, status, body) => {
    const index = await start({ flavour: 'gitlab' });
    const answer = await rawUpload(index.uploadUrl, upload);
    expect(answer.status, answer.text).toBe(status);
    const parsed = JSON.parse(answer.text) as Record<string, unknown>;
    if (body !== null) expect(parsed).toEqual(body);
    else expect(Object.keys(parsed)).toEqual(['message']);
    expect(index.files()).toHaveLength(status === 201 ? 1 : 0);
  });

  it('a re-upload of a file name, identical or not, is the documented 400; a deleted name is free again', async () => {
    const index = await start({ flavour: 'gitlab' });
    expect((await rawUpload(index.uploadUrl, ok())).status).toBe(201);
    for (const content of [bytes('wheel bytes'), bytes('other bytes')]) {
      const again = await rawUpload(index.uploadUrl, ok({ content }));
      expect(again.status).toBe(400);
      expect(JSON.parse(again.text)).toEqual({ message: 'Validation failed: File name has already been taken' });
    }
    index.deleteFile(wheelName);
    expect((await rawUpload(index.uploadUrl, ok({ content: bytes('other bytes') }))).status).toBe(201);
  });

  it('stores the digest the client declares, as GitLab does, and computes one when none is sent', async () => {
    const index = await start({ flavour: 'gitlab' });
    const declared = digestsOf(bytes('not the content')).sha256;
    await rawUpload(index.uploadUrl, ok({ fields: { sha256_digest: declared } }));
    await rawUpload(index.uploadUrl, ok({ filename: sdistName, content: bytes('sdist'), fields: { sha256_digest: null } }));
    expect(index.files().map((f) => f.sha256)).toEqual([declared, digestsOf(bytes('sdist')).sha256]);
  });

  it('a file over the limit is 400 "File is too large"', async () => {
    const index = await start({ flavour: 'gitlab', maxFileSize: 100 });
    const answer = await rawUpload(index.uploadUrl, ok({ content: Buffer.alloc(200) }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ message: '400 Bad request - File is too large' });
  });
});

describe('injected failures', () => {
  const ok = (content = 'x'): RawUpload => ({ filename: wheelName, content: bytes(content), auth });
  it.each(['pypi', 'gitlab'] as const)('%s: n failures with Retry-After, then normal answers', async (flavour) => {
    const index = await start({ flavour });
    index.fail(2, { status: 503, retryAfter: 7 });
    for (let i = 0; i < 2; i++) {
      const answer = await rawUpload(index.uploadUrl, ok());
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('7');
    }
    expect(index.files()).toEqual([]);
    expect((await rawUpload(index.uploadUrl, ok())).status).toBe(flavour === 'pypi' ? 200 : 201);
  });

  it.each([
    ['pypi', 200],
    ['gitlab', 400],
  ] as const)('%s: afterStore stores the file and answers 500; the retry answers %i', async (flavour, retry) => {
    const index = await start({ flavour });
    index.fail(1, { status: 500, afterStore: true });
    expect((await rawUpload(index.uploadUrl, ok())).status).toBe(500);
    expect(index.files()).toHaveLength(1);
    expect((await rawUpload(index.uploadUrl, ok())).status).toBe(retry);
    expect(index.uploads).toEqual([{ status: 500, filename: wheelName }, { status: retry, filename: wheelName }]);
  });

  it('hang: the upload is never answered, and close() still returns', async () => {
    const index = await start();
    index.fail(1, { status: 0, hang: true });
    const attempt = rawUpload(index.uploadUrl, { ...ok(), signal: AbortSignal.timeout(300) });
    await expect(attempt).rejects.toThrow();
    expect(index.files()).toEqual([]);
  });
});

describe('simple API', () => {
  async function seeded(options: FakeIndexOptions = {}): Promise<FakeIndex> {
    const index = await start(options);
    for (const [filename, content] of [[wheelName, wheel], [sdistName, sdist]] as const) {
      const answer = await rawUpload(index.uploadUrl, { filename, content, auth, fields: { requires_python: '>=3.8,<4&"x"' } });
      expect(answer.status).toBeLessThan(300);
    }
    return index;
  }

  it.each(['pypi', 'gitlab'] as const)('%s: PEP 691 JSON when asked for, with hashes and requires-python', async (flavour) => {
    const index = await seeded({ flavour });
    const res = await fetch(`${index.simpleUrl}sample-pkg/`, { headers: { Accept: JSON_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json/);
    const page = (await res.json()) as { name: string; meta: { 'api-version': string }; files: Array<{ filename: string; url: string; hashes: { sha256: string }; 'requires-python': string }> };
    expect(page.name).toBe('sample-pkg');
    expect(page.meta['api-version']).toBe('1.1');
    expect(page.files.map((f) => [f.filename, f.hashes.sha256, f['requires-python']])).toEqual([
      [wheelName, digestsOf(wheel).sha256, '>=3.8,<4&"x"'],
      [sdistName, digestsOf(sdist).sha256, '>=3.8,<4&"x"'],
    ]);
    const download = await fetch(page.files[1]?.url ?? '');
    expect(Buffer.from(await download.arrayBuffer()).equals(sdist)).toBe(true);
  });

  it.each(['pypi', 'gitlab'] as const)('%s: PEP 503 HTML by default, attributes escaped', async (flavour) => {
    const index = await seeded({ flavour });
    const res = await fetch(`${index.simpleUrl}sample-pkg/`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(`#sha256=${digestsOf(wheel).sha256}" data-requires-python="&gt;=3.8,&lt;4&amp;&quot;x&quot;">${wheelName}</a>`);
  });

  it.each<[string, 'pypi' | 'gitlab', string, Record<string, string>, number, string | null]>([
    ['pypi redirects a non-normalized name', 'pypi', 'Sample_Pkg/', {}, 301, '/simple/sample-pkg/'],
    ['pypi redirects a missing slash', 'pypi', 'sample-pkg', {}, 301, '/simple/sample-pkg/'],
    ['gitlab serves a non-normalized name directly', 'gitlab', 'Sample.Pkg', {}, 200, null],
    ['pypi: unknown project', 'pypi', 'nothing-here/', {}, 404, null],
    ['gitlab: unknown project', 'gitlab', 'nothing-here', {}, 404, null],
    ['pypi: nothing acceptable', 'pypi', 'sample-pkg/', { Accept: 'application/xml' }, 406, null],
    ['pypi: JSON refused by q=0 gets HTML', 'pypi', 'sample-pkg/', { Accept: `${JSON_ACCEPT};q=0, text/html` }, 200, null],
  ])('%s', async (_what, flavour, path, headers, status, location) => {
    const index = await seeded({ flavour });
    const res = await fetch(`${index.simpleUrl}${path}`, { headers, redirect: 'manual' });
    expect(res.status).toBe(status);
    if (location !== null) expect(res.headers.get('location')).toBe(location);
  });

  it.each(['pypi', 'gitlab'] as const)('%s: the project list', async (flavour) => {
    const index = await seeded({ flavour });
    const html = await (await fetch(index.simpleUrl)).text();
    expect(html).toContain('<a href="sample-pkg/">sample-pkg</a>');
    const json = (await (await fetch(index.simpleUrl, { headers: { Accept: JSON_ACCEPT } })).json()) as { projects: unknown };
    expect(json.projects).toEqual([{ name: 'sample-pkg' }]);
  });

  it('privateReads: 401 without credentials, 200 with them', async () => {
    const index = await seeded({ flavour: 'gitlab', privateReads: true });
    expect((await fetch(`${index.simpleUrl}sample-pkg`)).status).toBe(401);
    const res = await fetch(`${index.simpleUrl}sample-pkg`, { headers: { Authorization: basicHeader(auth) } });
    expect(res.status).toBe(200);
  });
});
