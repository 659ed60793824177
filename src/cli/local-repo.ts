import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Git output can be large (tag lists, files); cap it well above any real pyproject. */
const MAX_BUFFER = 16 * 1024 * 1024;

async function git(dir: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args], { maxBuffer: MAX_BUFFER, encoding: 'utf8' });
    return stdout;
  } catch {
    return null;
  }
}

/** A ref given on the command line must not be taken for an option by git. */
export function isSafeRef(ref: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
  return ref !== '' && !ref.startsWith('-') && !/[\s\x00-\x1f\x7f:]/.test(ref) && !ref.includes('..');
}

function insideRepo(path: string): boolean {
  const n = normalize(path);
  return !n.startsWith('..') && !n.startsWith('/');
}

export async function readWorkingFile(dir: string, path: string): Promise<string | null> {
  if (!insideRepo(path)) return null;
  try {
    return await readFile(join(dir, path), 'utf8');
  } catch {
    return null;
  }
}

export async function readFileAtRef(dir: string, ref: string, path: string): Promise<string | null> {
  if (!isSafeRef(ref) || !insideRepo(path)) return null;
  return git(dir, ['show', `${ref}:${normalize(path)}`]);
}

export async function listTags(dir: string): Promise<string[]> {
  const out = await git(dir, ['tag', '--list']);
  return out === null ? [] : out.split('\n').filter((t) => t !== '');
}

/** The remote's default branch (`origin/main`), where a merge request would usually go. */
export async function defaultTargetRef(dir: string): Promise<string | null> {
  const out = await git(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  const ref = out?.trim() ?? '';
  return ref === '' ? null : ref;
}

export async function refExists(dir: string, ref: string): Promise<boolean> {
  if (!isSafeRef(ref)) return false;
  return (await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])) !== null;
}
