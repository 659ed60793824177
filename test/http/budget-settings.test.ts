import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('the webhook budget settings', () => {
  it('default to a 32 MiB budget over the 25 MiB largest body, and 256 connections', () => {
    const loaded = loadConfig({});
    expect(loaded.ok && [loaded.config.webhookBodyBudgetBytes, loaded.config.webhookMaxBodyBytes, loaded.config.httpMaxConnections]).toEqual([32 * 1024 * 1024, 25 * 1024 * 1024, 256]);
  });

  it('refuse a budget below the largest body, which could then never be read', () => {
    const loaded = loadConfig({ PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: '1048576', PYRELEASE_WEBHOOK_MAX_BODY_BYTES: '2097152' });
    expect(loaded).toEqual({ ok: false, errors: ['PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: must be at least PYRELEASE_WEBHOOK_MAX_BODY_BYTES'] });
    expect(loadConfig({ PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: '2097152', PYRELEASE_WEBHOOK_MAX_BODY_BYTES: '2097152' }).ok).toBe(true);
  });
});
