import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { userInfo } from 'node:os';
import type { SubordinateIds } from './containment.js';

export type Range = { readonly start: number; readonly count: number };

/**
 * The first range /etc/subuid (or /etc/subgid) gives a user, named there by name or by
 * number, as shadow's newuidmap reads it: `name:start:count` per line.
 */
export function subordinateRange(text: string, name: string, id: number): Range | null {
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== name && owner !== String(id)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (Number.isSafeInteger(range.start) && Number.isSafeInteger(range.count) && range.start > 0 && range.count > 0) return range;
  }
  return null;
}

export type SubordinateLookup = { readonly ok: true; readonly ids: SubordinateIds } | { readonly ok: false; readonly why: string };

/**
 * What a non-root worker needs to give builds a uid of their own: a passwd entry (newuidmap
 * looks the caller up by name), ranges in /etc/subuid and /etc/subgid wide enough to hold
 * the build uid, and newuidmap/newgidmap (Debian's uidmap package).
 */
export async function lookupSubordinateIds(buildUid: number, unshare = 'unshare'): Promise<SubordinateLookup> {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    return { ok: false, why: `uid ${process.getuid?.() ?? '?'} has no passwd entry (newuidmap looks the user up by name)` };
  }
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  const [subuid, subgid] = await Promise.all(['/etc/subuid', '/etc/subgid'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const uidRange = subordinateRange(subuid ?? '', name, uid);
  const gidRange = subordinateRange(subgid ?? '', name, gid);
  if (uidRange === null || gidRange === null) return { ok: false, why: `user ${name} has no range in /etc/subuid and /etc/subgid` };
  // Inside, id n (n >= 1) is start + n - 1 on the host.
  if (uidRange.count < buildUid || gidRange.count < buildUid) {
    return { ok: false, why: `user ${name}'s subordinate ranges hold fewer than ${buildUid} ids (PYRELEASE_BUILD_UID)` };
  }
  for (const helper of ['/usr/bin/newuidmap', '/usr/bin/newgidmap']) {
    if (!(await access(helper, constants.X_OK).then(() => true, () => false))) return { ok: false, why: `${helper} is missing (Debian package "uidmap")` };
  }
  return { ok: true, ids: { uid: uidRange, gid: gidRange, unshare } };
}
