import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './server.js';

export interface AdminCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * PYRELEASE_ADMIN_USER (default `admin`) and PYRELEASE_ADMIN_PASSWORD. No password: the
 * admin pages (queue dashboard, release page) do not exist at all, rather than being
 * open. The values are kept here only; nothing logs them.
 */
export function adminCredentials(env: Readonly<Record<string, string | undefined>>): AdminCredentials | null {
  const password = env['PYRELEASE_ADMIN_PASSWORD'] ?? '';
  if (password === '') return null;
  const user = env['PYRELEASE_ADMIN_USER'];
  return { user: user === undefined || user === '' ? 'admin' : user, password };
}

/** true: the request may go on; false: it has been answered (404 when disabled, 401 when the credentials are missing or wrong). */
export type AdminGate = (req: IncomingMessage, res: ServerResponse) => boolean;

// Digests first, so both sides have the same length and the compare time says nothing
// about the secret's length or how much of it matched.
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null;
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function adminGate(credentials: AdminCredentials | null, realm = 'pyrelease'): AdminGate {
  return (req, res) => {
    if (credentials === null) {
      req.resume();
      sendJson(res, 404, { error: 'not found' });
      return false;
    }
    const given = parseBasicAuth(req.headers.authorization);
    // Both compares always run: no early exit on a wrong user name.
    const userOk = sameSecret(given?.user ?? '', credentials.user);
    const passwordOk = sameSecret(given?.password ?? '', credentials.password);
    if (given !== null && userOk && passwordOk) return true;
    req.resume();
    sendJson(res, 401, { error: 'unauthorized' }, { 'www-authenticate': `Basic realm="${realm}", charset="UTF-8"`, 'cache-control': 'no-store' });
    return false;
  };
}
