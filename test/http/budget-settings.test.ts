import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SMALL_RESERVE_BYTES } from '../../src/http/body-budget.js';

describe('the webhook budget settings', () => {
  it('default to a 32 MiB budget over the 25 MiB largest body, and 1024 connections', () => {
    const loaded = loadConfig({});
    expect(loaded.ok && [loaded.config.webhookBodyBudgetBytes, loaded.config.webhookMaxBodyBytes, loaded.config.httpMaxConnections]).toEqual([32 * 1024 * 1024, 25 * 1024 * 1024, 1024]);
  });

  it('refuse a budget that cannot hold the largest body beside the small-body reserve', () => {
    const max = 2 * 1024 * 1024;
    const loaded = loadConfig({ PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: String(max + SMALL_RESERVE_BYTES - 1), PYRELEASE_WEBHOOK_MAX_BODY_BYTES: String(max) });
    expect(loaded).toEqual({ ok: false, errors: ['PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: must be at least PYRELEASE_WEBHOOK_MAX_BODY_BYTES + 4 MiB (4194304)'] });
    expect(loadConfig({ PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: String(max + SMALL_RESERVE_BYTES), PYRELEASE_WEBHOOK_MAX_BODY_BYTES: String(max) }).ok).toBe(true);
  });
});
