import type { IncomingMessage } from 'node:http';

// Delivery ids end up in job ids and log lines: only short, plain ones are taken as given.
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The first header of `names` holding a safe id, else the body's digest (hex SHA-256). */
export function deliveryIdFrom(req: IncomingMessage, bodyDigest: string, names: readonly string[]): string {
  for (const name of names) {
    const value = singleHeader(req.headers[name]);
    if (value !== undefined && isSafeId(value)) return value;
  }
  return `sha256-${bodyDigest}`;
}

export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}

export function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
