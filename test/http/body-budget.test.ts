import { describe, expect, it } from 'vitest';
import { createBodyBudget, leaseKind, SMALL_BODY_BYTES, SMALL_RESERVE_BYTES } from '../../src/http/body-budget.js';

const LIMIT = SMALL_RESERVE_BYTES + 100;

describe('createBodyBudget', () => {
  it('refuses a large lease past the budget less its reserve, counting nothing for the refused part', () => {
    const budget = createBodyBudget(LIMIT);
    const a = budget.lease('large');
    const b = budget.lease('large');
    expect(a.grow(60)).toBe(true);
    expect(b.grow(41)).toBe(false);
    expect(budget.inFlightBytes).toBe(60);
    expect(b.grow(40)).toBe(true);
    expect(budget.inFlightBytes).toBe(100);
    expect(a.grow(1)).toBe(false);
  });

  it('lets small leases use the reserve, and no further: strangers hold at most the budget', () => {
    const budget = createBodyBudget(LIMIT);
    expect(budget.lease('large').grow(100)).toBe(true);
    const small = Array.from({ length: SMALL_RESERVE_BYTES / SMALL_BODY_BYTES }, () => budget.lease('small'));
    for (const lease of small) expect(lease.grow(SMALL_BODY_BYTES)).toBe(true);
    expect(budget.inFlightBytes).toBe(LIMIT);
    expect(budget.lease('small').grow(1)).toBe(false);
  });

  it('counts an authenticated lease past the budget, and against the others', () => {
    const budget = createBodyBudget(LIMIT);
    const trusted = budget.lease('authenticated');
    expect(trusted.grow(LIMIT + 150)).toBe(true);
    expect(budget.inFlightBytes).toBe(LIMIT + 150);
    expect(budget.lease('small').grow(1)).toBe(false);
    trusted.release();
    expect(budget.lease('large').grow(100)).toBe(true);
  });

  it('gives back every byte of a lease once, however often it is released', () => {
    const budget = createBodyBudget(LIMIT);
    const a = budget.lease('large');
    const b = budget.lease('small');
    a.grow(30);
    a.grow(30);
    b.grow(10);
    a.release();
    a.release();
    expect(budget.inFlightBytes).toBe(10);
    b.release();
    expect(budget.inFlightBytes).toBe(0);
  });
});

describe('leaseKind', () => {
  it.each([
    [true, undefined, 'authenticated'],
    [true, 10 * SMALL_BODY_BYTES, 'authenticated'],
    [false, SMALL_BODY_BYTES, 'small'],
    [false, SMALL_BODY_BYTES + 1, 'large'],
    [false, undefined, 'large'],
  ] as const)('authenticated %s, declared %s: %s', (authenticated, declared, kind) => {
    expect(leaseKind(authenticated, declared)).toBe(kind);
  });
});
