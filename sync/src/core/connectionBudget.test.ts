import { ConnectionBudget } from './connectionBudget';

describe('the budget of unauthenticated connections', () => {
  it('admits connections up to the per-address limit, then refuses that address only', () => {
    const budget = new ConnectionBudget({ maxTotal: 10, maxPerAddress: 2 });
    expect(budget.admit(1, 'a')).toEqual({ admitted: true, displaced: [] });
    expect(budget.admit(2, 'a')).toEqual({ admitted: true, displaced: [] });
    expect(budget.admit(3, 'a')).toEqual({ admitted: false });
    expect(budget.admit(4, 'b')).toEqual({ admitted: true, displaced: [] });
  });

  it('beyond the total, displaces the oldest connection of the busiest address, not a quiet one', () => {
    const budget = new ConnectionBudget({ maxTotal: 4, maxPerAddress: 3 });
    budget.admit(1, 'peer');
    budget.admit(2, 'flood');
    budget.admit(3, 'flood');
    budget.admit(4, 'flood');
    expect(budget.admit(5, 'newcomer')).toEqual({ admitted: true, displaced: [2] });
    expect(budget.has(1)).toBe(true);
    expect(budget.size).toBe(4);
  });

  it('with one connection per address, displaces the oldest', () => {
    const budget = new ConnectionBudget({ maxTotal: 3, maxPerAddress: 3 });
    for (const [id, address] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const)
      budget.admit(id, address);
    expect(budget.admit(4, 'd')).toEqual({ admitted: true, displaced: [1] });
  });

  it('forgets authenticated or closed connections, freeing their address and the total', () => {
    const budget = new ConnectionBudget({ maxTotal: 2, maxPerAddress: 1 });
    budget.admit(1, 'a');
    budget.forget(1);
    budget.forget(1);
    expect(budget.admit(2, 'a')).toEqual({ admitted: true, displaced: [] });
    expect(budget.size).toBe(1);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new ConnectionBudget({ maxTotal: 0, maxPerAddress: 1 })).toThrow(/invalid connection limits/);
  });
});
