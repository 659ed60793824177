// Real twine (Debian's /usr/bin/twine, 4.0.2) and our client upload the same files to
// the same recording server; the form fields must match, but for the differences
// between twine 4.0.2 and twine 6.2 (whose form we send), each listed and explained in
// TWINE_4_TO_6_2 below. Order is compared too: we send twine 4.0.2's field order.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import type { DistInfo } from '../../src/publishing/inspect.js';
import { uploadDistribution } from '../../src/publishing/upload-client.js';
import { parseMultipart, textFields } from '../helpers/multipart.js';
import type { MultipartPart } from '../helpers/multipart.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import type { RecordingServer } from '../helpers/recording-server.js';
import { SYSTEM_PYTHON, sampleDists } from '../helpers/sample-dists.js';

const run = promisify(execFile);
type Fields = Array<[string, string]>;

/**
 * What twine 4.0.2 sends that twine 6.2 does not, and why (sources: twine 4.0.2's
 * package.py metadata_dictionary() read from /usr/lib/python3/dist-packages; twine 6.2's
 * package.py and repository.py _convert_metadata_to_list_of_tuples()).
 */
const TWINE_4_TO_6_2: ReadonlyArray<{ field: string; why: string; fix: (fields: Fields, info: DistInfo) => Fields }> = [
  {
    field: 'pyversion of sdists',
    why: '4.0.2 has py_version None for sdists (sent as ""); 6.2\'s SDist.py_version is "source"',
    fix: (f, info) => f.map(([k, v]) => [k, k === 'pyversion' && info.filetype === 'sdist' ? 'source' : v]),
  },
  {
    field: 'md5_digest',
    why: 'twine 6.2 stopped computing MD5 (pypa/twine#1262); PyPI ignores it',
    fix: (f) => f.filter(([k]) => k !== 'md5_digest'),
  },
  {
    field: 'comment, home_page, author, maintainer, maintainer_email, download_url, ... (absent headers)',
    why: '4.0.2 puts every pkginfo attribute in the form, None included, and requests_toolbelt sends None as ""; 6.2 only has the fields parse_email found and omits a None comment',
    fix: (f, info) =>
      f.filter(([k, v]) => !(v === '' && (k === 'comment' || !info.metadata.fields.has(k.replace(/_/g, '-').replace(/^classifiers$/, 'classifier'))))),
  },
  {
    field: 'keywords',
    why: '6.2 splits Keywords on "," and strips (packaging _parse_keywords), then joins with ", "; 4.0.2 sends the header as written',
    fix: (f) => f.map(([k, v]) => [k, k === 'keywords' ? v.split(',').map((s) => s.trim()).join(', ') : v]),
  },
  {
    field: 'provides_extras -> provides_extra',
    why: "4.0.2 names the field after pkginfo's attribute; 6.2 uses the core metadata name, the one Warehouse reads",
    fix: (f) => f.map(([k, v]) => [k === 'provides_extras' ? 'provides_extra' : k, v]),
  },
];

function asTwine62(fields: Fields, info: DistInfo): Fields {
  return TWINE_4_TO_6_2.reduce((acc, d) => d.fix(acc, info), fields);
}

async function buildRichProject(root: string): Promise<string[]> {
  const project = join(root, 'rich');
  await mkdir(join(project, 'src', 'rich_pkg'), { recursive: true });
  await writeFile(
    join(project, 'pyproject.toml'),
    `[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "Rich.Pkg_name"
version = "2.0.0rc1"
description = "Ünïcode summary — with a dash"
readme = "README.rst"
requires-python = ">=3.9,<4"
license = {text = "Apache-2.0"}
authors = [{name = "Zoë Ünïcode", email = "zoe@example.invalid"}, {name = "Bob"}]
maintainers = [{name = "Mia Maintainer", email = "mia@example.invalid"}]
keywords = ["alpha", "beta gamma", "delta"]
classifiers = [
  "Programming Language :: Python :: 3",
  "License :: OSI Approved :: Apache Software License",
  "Operating System :: OS Independent",
]
dependencies = ["packaging>=20", "tomli; python_version < '3.11'"]

[project.optional-dependencies]
cli = ["click>=8"]
docs = ["sphinx"]

[project.urls]
Homepage = "https://example.invalid/rich"
Source = "https://example.invalid/rich/src"
"Bug Tracker" = "https://example.invalid/rich/issues"
`,
  );
  await writeFile(join(project, 'README.rst'), 'Rich\n====\n\nA line with trailing spaces   \n\n* ünïcode ✓\n');
  await writeFile(join(project, 'src', 'rich_pkg', '__init__.py'), '');
  const out = join(root, 'dist');
  await run(SYSTEM_PYTHON, ['-m', 'build', '-n', '-x', '-o', out, project], { timeout: 120_000 });
  return (await readdir(out)).map((f) => join(out, f));
}

let server: RecordingServer;
let work: string;
let files: string[] = [];
const twineByFile = new Map<string, { fields: Fields; file: MultipartPart; headers: Record<string, unknown> }>();

function fileOf(parts: MultipartPart[]): MultipartPart {
  const file = parts.find((p) => p.filename !== null);
  if (file === undefined) throw new Error('no file part');
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pyrelease-parity-'));
  const [sample, rich] = await Promise.all([sampleDists('1.2.3', 'sample-pkg'), buildRichProject(work)]);
  files = [sample.sdist, sample.wheel, ...rich];
  server = await startRecordingServer();
  // A clean environment: no ~/.pypirc, no keyring, no TWINE_* from the developer's shell.
  await run(
    '/usr/bin/twine',
    ['upload', '--repository-url', `${server.url}/legacy/`, '-u', 'parity-user', '-p', 'parity-pass', '--disable-progress-bar', '--non-interactive', ...files],
    { env: { PATH: '/usr/bin:/bin', HOME: work, PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' }, timeout: 60_000 },
  );
  for (const request of server.requests.splice(0)) {
    const parts = parseMultipart(request.body, request.headers['content-type']);
    const file = fileOf(parts);
    twineByFile.set(file.filename ?? '', { fields: textFields(parts), file, headers: request.headers });
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('our upload form equals twine 6.2 (twine 4.0.2 plus the listed differences)', () => {
  it('twine uploaded every file, wheels first', () => {
    expect([...twineByFile.keys()].sort()).toEqual(files.map((f) => f.split('/').pop()).sort());
    const order = [...twineByFile.keys()];
    expect(order.findIndex((f) => f.endsWith('.tar.gz'))).toBeGreaterThan(order.findLastIndex((f) => f.endsWith('.whl')));
  });

  it.each([0, 1, 2, 3])('file %i: same fields, values and order; same file part', async (index) => {
    const path = files[index] ?? '';
    const info = await inspectDistribution(path);
    const twine = twineByFile.get(info.filename);
    expect(twine).toBeDefined();
    const result = await uploadDistribution({ uploadUrl: `${server.url}/legacy/`, username: 'parity-user', password: 'parity-pass', info, timeoutMs: 10_000 });
    expect(result.status).toBe(200);
    const request = server.requests.pop();
    if (request === undefined || twine === undefined) throw new Error('no request recorded');
    const parts = parseMultipart(request.body, request.headers['content-type']);
    expect(textFields(parts)).toEqual(asTwine62(twine.fields, info));
    const ours = fileOf(parts);
    expect([ours.name, ours.filename, ours.contentType]).toEqual([twine.file.name, twine.file.filename, twine.file.contentType]);
    expect(ours.data.equals(twine.file.data)).toBe(true);
    expect(request.headers.authorization).toBe(twine.headers['authorization']);
    expect(request.headers['user-agent']).toMatch(/^pyrelease\/\d/);
  });

  it('each listed difference is real: twine 4.0.2 differs from our form without it', async () => {
    // Guards the list against stale entries: dropping any one fix must break equality
    // for at least one file.
    const infos = await Promise.all(files.map((f) => inspectDistribution(f)));
    const { uploadFields } = await import('../../src/publishing/upload-form.js');
    for (const skipped of TWINE_4_TO_6_2) {
      const others = TWINE_4_TO_6_2.filter((d) => d !== skipped);
      const anyDiffers = infos.some((info) => {
        const twine = twineByFile.get(info.filename)?.fields ?? [];
        const fixed = others.reduce((acc, d) => d.fix(acc, info), twine);
        return JSON.stringify(fixed) !== JSON.stringify(uploadFields(info));
      });
      expect(anyDiffers, skipped.field).toBe(true);
    }
  });
});
