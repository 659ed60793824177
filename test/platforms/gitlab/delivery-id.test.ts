import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { deliveryId } from '../../../src/platforms/gitlab/receiver.js';

const request = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
const digest = 'ab'.repeat(32);

describe('deliveryId (GitLab)', () => {
  it.each([
    ['signed: the webhook-id, whatever Idempotency-Key says', 'signature', { 'webhook-id': 'msg_1', 'idempotency-key': 'other' }, 'msg_1'],
    ['signed: an unsafe webhook-id by its digest', 'signature', { 'webhook-id': 'a:b', 'idempotency-key': 'safe' }, `webhook-id-sha256-${createHash('sha256').update('a:b').digest('hex')}`],
    ['token: Idempotency-Key', 'token', { 'webhook-id': 'msg_1', 'idempotency-key': 'idem-1' }, 'idem-1'],
    ['token: X-Gitlab-Event-UUID next', 'token', { 'x-gitlab-event-uuid': 'uuid-1' }, 'uuid-1'],
    ['token: else the body digest', 'token', {}, `sha256-${digest}`],
  ])('%s', (_name, method, headers, expected) => {
    expect(deliveryId(request(headers), { bodyDigest: digest, method })).toBe(expected);
  });
});
