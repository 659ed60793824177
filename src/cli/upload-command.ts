import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isAppError } from '../errors.js';
import { lookupFile } from '../publishing/index-lookup.js';
import { checkDistribution, inspectDistribution } from '../publishing/inspect.js';
import type { DistInfo } from '../publishing/inspect.js';
import { uploadDistribution } from '../publishing/upload-client.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './io.js';
import type { CliIo } from './io.js';
import { fileProgress } from './upload-progress.js';
import type { FileProgress } from './upload-progress.js';

export const DEFAULT_REPOSITORY_URL = 'https://upload.pypi.org/legacy/';
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export const UPLOAD_USAGE = `usage: pyrelease upload [--repository-url URL] [-u USER] [-p PASSWORD]
                        [--skip-existing] [--check-url URL] [--dry-run] FILES...

Uploads wheels and .tar.gz sdists to a package index with the legacy upload API,
sending the form twine 6.2 sends. Every file is inspected and checked first; if any
is invalid, nothing is uploaded. Wheels go first, as twine sends them.

  --repository-url URL  upload URL (default ${DEFAULT_REPOSITORY_URL}; TWINE_REPOSITORY_URL)
  -u, --username USER   (TWINE_USERNAME; "__token__" when only a password is given)
  -p, --password PASS   password or API token (TWINE_PASSWORD)
  --skip-existing       look each file up in the index first: skip it when the index
                        has it with the same sha256, fail when with another
  --check-url URL       simple index to look files up in; derived for pypi.org,
                        test.pypi.org and GitLab, required for other indexes
  --dry-run             inspect, check (and look up) but upload nothing

On a terminal each file's line shows its progress (files over 1 MiB) and ends with its
size; piped, it is one line per file once it is done.

Exit status: 0 when every file was uploaded or skipped, 1 otherwise, 2 on usage errors.
`;

/**
 * The simple index that belongs to an upload URL, or null when we cannot know it:
 * PyPI and TestPyPI serve it on another host; GitLab's project registry beside the upload route.
 */
export function simpleUrlFor(uploadUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(uploadUrl);
  } catch {
    return null;
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (url.host === 'upload.pypi.org' && path === '/legacy') return 'https://pypi.org/simple/';
  if (url.host === 'test.pypi.org' && path === '/legacy') return 'https://test.pypi.org/simple/';
  if (/\/api\/v4\/projects\/[^/]+\/packages\/pypi$/.test(path)) return `${url.origin}${path}/simple/`;
  return null;
}

function usage(io: CliIo, message: string): number {
  io.err(`pyrelease upload: ${message}\n\n${UPLOAD_USAGE}`);
  return EXIT_USAGE;
}

function describe(error: unknown): string {
  return isAppError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

export async function uploadCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        'repository-url': { type: 'string' },
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'p' },
        'skip-existing': { type: 'boolean', default: false },
        'check-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usage(io, describe(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) return usage(io, 'no files to upload');
  const uploadUrl = values['repository-url'] ?? io.env['TWINE_REPOSITORY_URL'] ?? DEFAULT_REPOSITORY_URL;
  const password = values.password ?? io.env['TWINE_PASSWORD'];
  const username = values.username ?? io.env['TWINE_USERNAME'] ?? '__token__';
  if (password === undefined && !values['dry-run']) return usage(io, 'no password: pass -p or set TWINE_PASSWORD');
  const checkUrl = values['skip-existing'] ? (values['check-url'] ?? simpleUrlFor(uploadUrl)) : null;
  if (values['skip-existing'] && checkUrl === null) {
    return usage(io, `--skip-existing needs --check-url for ${JSON.stringify(uploadUrl)}: it is not PyPI, TestPyPI or GitLab`);
  }

  // Inspect and check everything before uploading anything.
  const infos: DistInfo[] = [];
  let bad = false;
  for (const file of positionals) {
    try {
      const info = await inspectDistribution(resolve(io.cwd, file));
      const problems = checkDistribution(info);
      for (const problem of problems) io.err(`pyrelease: ${info.filename}: ${problem}\n`);
      bad ||= problems.length > 0;
      infos.push(info);
    } catch (error) {
      io.err(`pyrelease: ${describe(error)}\n`);
      bad = true;
    }
  }
  if (bad) return EXIT_INVALID;
  // twine's _group_wheel_files_first: a stable sort that puts wheels first.
  infos.sort((a, b) => Number(b.filetype === 'bdist_wheel') - Number(a.filetype === 'bdist_wheel'));

  // Send the credentials to the check URL only when it is the upload URL's own origin
  // (GitLab); pypi.org/simple is public and another host than upload.pypi.org.
  const sameOrigin = checkUrl !== null && new URL(checkUrl, uploadUrl).origin === new URL(uploadUrl).origin;
  const auth = sameOrigin && password !== undefined ? { auth: { username, password } } : {};
  for (const info of infos) {
    let progress: FileProgress | undefined;
    try {
      if (checkUrl !== null) {
        const found = await lookupFile(checkUrl, info.name, info.filename, auth);
        if (found.state === 'present') {
          if (found.sha256 === info.sha256) {
            io.out(`Skipping ${info.filename}: already on the index with the same sha256\n`);
            continue;
          }
          io.err(
            found.sha256 === null
              ? `pyrelease: ${info.filename} is already on the index, which lists no sha256 for it; cannot tell whether it is this file\n`
              : `pyrelease: ${info.filename} is already on the index with another sha256 (index ${found.sha256}, local ${info.sha256}); an index never replaces a file\n`,
          );
          return EXIT_INVALID;
        }
      }
      if (values['dry-run']) {
        io.out(`Would upload ${info.filename} (${info.size} bytes, sha256 ${info.sha256})\n`);
        continue;
      }
      progress = fileProgress(io, info.filename, info.size);
      const { onProgress } = progress;
      const response = await uploadDistribution({
        uploadUrl,
        username,
        password: password ?? '',
        info,
        timeoutMs: UPLOAD_TIMEOUT_MS,
        ...(onProgress === undefined ? {} : { onProgress }),
      });
      progress.finish(String(response.status));
    } catch (error) {
      (progress ?? fileProgress({ out: io.out }, info.filename, info.size)).finish('failed');
      io.err(`pyrelease: ${describe(error)}\n`);
      return EXIT_INVALID;
    }
  }
  return EXIT_OK;
}
