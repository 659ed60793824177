import { describe, expect, it } from 'vitest';
import { createBodyBudget } from '../../src/http/body-budget.js';

describe('createBodyBudget', () => {
  it('refuses a metered lease past the limit, counting nothing for the refused part', () => {
    const budget = createBodyBudget(100);
    const a = budget.lease('metered');
    const b = budget.lease('metered');
    expect(a.grow(60)).toBe(true);
    expect(b.grow(41)).toBe(false);
    expect(budget.inFlightBytes).toBe(60);
    expect(b.grow(40)).toBe(true);
    expect(budget.inFlightBytes).toBe(100);
    expect(a.grow(1)).toBe(false);
  });

  it('admits an admitted lease past the limit, and counts it against metered ones', () => {
    const budget = createBodyBudget(100);
    const trusted = budget.lease('admitted');
    expect(trusted.grow(150)).toBe(true);
    expect(budget.inFlightBytes).toBe(150);
    expect(budget.lease('metered').grow(1)).toBe(false);
    trusted.release();
    expect(budget.lease('metered').grow(100)).toBe(true);
  });

  it('gives back every byte of a lease once, however often it is released', () => {
    const budget = createBodyBudget(100);
    const a = budget.lease('metered');
    const b = budget.lease('metered');
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
