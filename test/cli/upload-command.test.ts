import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { simpleUrlFor, uploadCommand } from '../../src/cli/upload-command.js';
import { PROGRESS_MIN_BYTES, formatSize } from '../../src/cli/upload-progress.js';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import { parseMultipart } from '../helpers/multipart.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import type { RecordedRequest, RecordingServer, Reply } from '../helpers/recording-server.js';
import { SYSTEM_PYTHON, sampleDists } from '../helpers/sample-dists.js';
import type { SampleDists } from '../helpers/sample-dists.js';

const PROJECT = '/api/v4/projects/7/packages/pypi';
const password = `glpat-${randomBytes(18).toString('base64url')}`;
let server: RecordingServer;
let dists: SampleDists;
let work: string;
/** The sample sdist with 3 MiB of random bytes added: large enough for progress. */
let largeSdist: string;
/** What the fake GitLab simple index lists: file name -> sha256. */
let listed: Map<string, string>;

function fakeGitlab(req: RecordedRequest): Reply {
  if (req.method === 'POST' && req.path === PROJECT) return { status: 201, body: '{"message":"201 Created"}' };
  if (req.method === 'GET' && req.path === `${PROJECT}/simple/sample-pkg/`) {
    const links = [...listed].map(([f, sha]) => `<a href="../../files/${f}#sha256=${sha}">${f}</a>`).join('\n');
    return { status: 200, body: `<!DOCTYPE html><html><body>${links}</body></html>`, headers: { 'content-type': 'text/html' } };
  }
  return { status: 404, body: 'not found' };
}

function io(env: Record<string, string> = {}, stdoutIsTty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    readStdin: () => Promise.resolve(''),
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    env,
    cwd: work,
    stdinIsTty: false,
    stdoutIsTty,
  };
  return { cli, out, err };
}

const uploaded = () =>
  server.requests.filter((r) => r.method === 'POST').map((r) => parseMultipart(r.body, r.headers['content-type']).find((p) => p.filename !== null)?.filename);

beforeAll(async () => {
  dists = await sampleDists('1.2.3', 'sample-pkg');
  work = await mkdtemp(join(tmpdir(), 'pyrelease-upload-cli-'));
  server = await startRecordingServer(fakeGitlab);
  await mkdir(join(work, 'large'));
  largeSdist = join(work, 'large', basename(dists.sdist));
  const repack = [
    'import io, os, sys, tarfile',
    'with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w:gz") as dst:',
    '    top = src.getnames()[0].split("/")[0]',
    '    for m in src.getmembers(): dst.addfile(m, src.extractfile(m) if m.isfile() else None)',
    '    data = os.urandom(3 * 1024 * 1024); info = tarfile.TarInfo(top + "/blob.bin"); info.size = len(data)',
    '    dst.addfile(info, io.BytesIO(data))',
  ].join('\n');
  await promisify(execFile)(SYSTEM_PYTHON, ['-c', repack, dists.sdist, largeSdist]);
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.splice(0);
  server.handler = fakeGitlab;
  listed = new Map();
});

describe('pyrelease upload', () => {
  it('uploads wheels first, one line per file, credentials from TWINE_* and __token__ by default', async () => {
    const { cli, out, err } = io({ TWINE_PASSWORD: password, TWINE_REPOSITORY_URL: `${server.url}${PROJECT}` });
    expect(await uploadCommand([dists.sdist, dists.wheel], cli)).toBe(0);
    expect(out.join('')).toBe('Uploading sample_pkg-1.2.3-py3-none-any.whl ... 201\nUploading sample-pkg-1.2.3.tar.gz ... 201\n');
    expect(err).toEqual([]);
    expect(uploaded()).toEqual(['sample_pkg-1.2.3-py3-none-any.whl', 'sample-pkg-1.2.3.tar.gz']);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`__token__:${password}`).toString('base64')}`);
  });

  it('flags win over the environment', async () => {
    const { cli } = io({ TWINE_PASSWORD: 'env-pass', TWINE_USERNAME: 'env-user', TWINE_REPOSITORY_URL: 'http://127.0.0.1:1/nowhere/' });
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, '-u', 'deploy', '-p', password, dists.wheel], cli)).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`deploy:${password}`).toString('base64')}`);
  });

  it('refuses a bad file before uploading any', async () => {
    const renamed = join(work, 'sample_pkg-9.9.9-py3-none-any.whl');
    await copyFile(dists.wheel, renamed);
    const { cli, err } = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, dists.sdist, 'sample_pkg-9.9.9-py3-none-any.whl'], cli)).toBe(1);
    // A renamed wheel: its .dist-info directory no longer matches its file name (wheel-dist-info.ts).
    expect(err.join('')).toContain('its file name says "sample_pkg-9.9.9.dist-info"');
    expect(server.requests).toEqual([]);
  });

  it('--skip-existing skips a file the index has with the same sha256 and uploads the rest', async () => {
    const wheel = await inspectDistribution(dists.wheel);
    listed.set(wheel.filename, wheel.sha256);
    const { cli, out } = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, '--skip-existing', dists.wheel, dists.sdist], cli)).toBe(0);
    expect(out.join('')).toBe(
      'Skipping sample_pkg-1.2.3-py3-none-any.whl: already on the index with the same sha256\nUploading sample-pkg-1.2.3.tar.gz ... 201\n',
    );
    expect(uploaded()).toEqual(['sample-pkg-1.2.3.tar.gz']);
    // Same origin as the upload URL (GitLab): the lookup carries the credentials.
    const lookup = server.requests.find((r) => r.method === 'GET');
    expect(lookup?.headers.authorization).toBe(`Basic ${Buffer.from(`__token__:${password}`).toString('base64')}`);
  });

  it('--skip-existing fails for a file the index has with another sha256', async () => {
    listed.set('sample_pkg-1.2.3-py3-none-any.whl', 'f'.repeat(64));
    const { cli, err } = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, '--skip-existing', dists.wheel], cli)).toBe(1);
    expect(err.join('')).toMatch(/already on the index with another sha256 \(index f{64}, local [0-9a-f]{64}\)/);
    expect(uploaded()).toEqual([]);
  });

  it('--skip-existing needs --check-url for an unknown index, and uses it', async () => {
    const { cli, err } = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}/upload/`, '--skip-existing', dists.wheel], cli)).toBe(2);
    expect(err.join('')).toContain('--check-url');
    server.handler = (req) => (req.method === 'POST' ? { status: 200 } : fakeGitlab({ ...req, path: req.path.replace('/other/', `${PROJECT}/simple/`) }));
    const second = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}/upload/`, '--skip-existing', '--check-url', `${server.url}/other/`, dists.wheel], second.cli)).toBe(0);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /other/sample-pkg/', 'POST /upload/']);
  });

  it('a refused upload exits 1 with the index reason and without the password', async () => {
    server.handler = (req) => ({ status: 400, body: `Validation failed: File name has already been taken (${String(req.headers.authorization)})` });
    const { cli, out, err } = io({ TWINE_PASSWORD: password });
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, dists.wheel, dists.sdist], cli)).toBe(1);
    expect(out.join('')).toBe('Uploading sample_pkg-1.2.3-py3-none-any.whl ... failed\n');
    expect(err.join('')).toContain('File name has already been taken');
    expect(err.join('') + out.join('')).not.toContain(password);
    expect(err.join('')).not.toContain(Buffer.from(`__token__:${password}`).toString('base64'));
  });

  it('--dry-run uploads nothing', async () => {
    const { cli, out } = io();
    expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, '--dry-run', dists.wheel], cli)).toBe(0);
    expect(out.join('')).toMatch(/^Would upload sample_pkg-1\.2\.3-py3-none-any\.whl \(\d+ bytes, sha256 [0-9a-f]{64}\)\n$/);
    expect(server.requests).toEqual([]);
  });

  describe('progress', () => {
    const name = 'sample-pkg-1.2.3.tar.gz';

    it('on a terminal, a large file\'s line is rewritten in place as it goes, and ends with its size and outcome', async () => {
      const { cli, out, err } = io({ TWINE_PASSWORD: password }, true);
      expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, largeSdist], cli)).toBe(0);
      expect(err).toEqual([]);
      const text = out.join('');
      // One line on the screen: only carriage returns until the last newline.
      expect(text.indexOf('\n')).toBe(text.length - 1);
      const frames = text.slice(0, -1).split('\r').slice(1).map((f) => f.trimEnd());
      expect(frames[0]).toBe(`Uploading ${name} ...`);
      const size = formatSize((await inspectDistribution(largeSdist)).size);
      expect(size).toMatch(/^3\.\d MiB$/);
      expect(frames.at(-1)).toBe(`Uploading ${name} ${size} ... 201`);
      const percents = frames.slice(1, -1).map((f) => {
        const m = new RegExp(`^Uploading ${name.replace(/\./g, '\\.')} [\\d.]+ (?:B|KiB|MiB) / ${size} (\\d+)%$`).exec(f);
        expect(m, f).not.toBeNull();
        return Number(m?.[1]);
      });
      expect(percents.length).toBeGreaterThan(5);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(new Set(percents).size).toBe(percents.length);
      expect(percents.at(-1)).toBe(100);
      expect(uploaded()).toEqual([name]);
    });

    it('piped, the same upload prints one plain line, as before: no carriage returns, no percentages', async () => {
      const { cli, out } = io({ TWINE_PASSWORD: password }, false);
      expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, largeSdist], cli)).toBe(0);
      expect(out.join('')).toBe(`Uploading ${name} ... 201\n`);
    });

    it('on a terminal, a small file shows no percentages, only its line and then its size and outcome', async () => {
      const wheel = await inspectDistribution(dists.wheel);
      expect(wheel.size).toBeLessThan(PROGRESS_MIN_BYTES);
      const { cli, out } = io({ TWINE_PASSWORD: password }, true);
      expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, dists.wheel], cli)).toBe(0);
      const start = `Uploading ${wheel.filename} ...`;
      const end = `Uploading ${wheel.filename} ${formatSize(wheel.size)} ... 201`;
      expect(out.join('')).toBe(`\r${start}\r${end.padEnd(start.length)}\n`);
    });

    it('on a terminal, a refused upload ends its line with failed', async () => {
      server.handler = () => ({ status: 400, body: 'no' });
      const { cli, out } = io({ TWINE_PASSWORD: password }, true);
      expect(await uploadCommand(['--repository-url', `${server.url}${PROJECT}`, largeSdist], cli)).toBe(1);
      expect(out.join('')).toMatch(new RegExp(`\\rUploading ${name.replace(/\./g, '\\.')} 3\\.\\d MiB \\.\\.\\. failed *\\n$`));
    });

    it.each([
      [0, '0 B'],
      [1023, '1023 B'],
      [1024, '1.0 KiB'],
      [1536, '1.5 KiB'],
      [3 * 1024 * 1024 + 52_000, '3.0 MiB'],
      [5 * 1024 ** 3, '5.0 GiB'],
    ])('formatSize(%d) = %j', (bytes, shown) => {
      expect(formatSize(bytes)).toBe(shown);
    });
  });

  it.each([
    [[], /no files to upload/],
    [['--nope', 'x.whl'], /Unknown option/],
    [['x.whl'], /no password/],
  ])('usage error %j', async (args, message) => {
    const { cli, err } = io();
    expect(await uploadCommand(args, cli)).toBe(2);
    expect(err.join('')).toMatch(message);
  });

  it.each([
    ['https://upload.pypi.org/legacy/', 'https://pypi.org/simple/'],
    ['https://upload.pypi.org/legacy', 'https://pypi.org/simple/'],
    ['https://test.pypi.org/legacy/', 'https://test.pypi.org/simple/'],
    ['https://gitlab.example.invalid/api/v4/projects/42/packages/pypi', 'https://gitlab.example.invalid/api/v4/projects/42/packages/pypi/simple/'],
    ['https://gitlab.example.invalid/api/v4/projects/group%2Fproj/packages/pypi/', 'https://gitlab.example.invalid/api/v4/projects/group%2Fproj/packages/pypi/simple/'],
    ['https://nexus.example.invalid/repository/pypi/', null],
    ['not a url', null],
  ])('simpleUrlFor(%j) = %j', (upload, simple) => {
    expect(simpleUrlFor(upload)).toBe(simple);
  });
});
