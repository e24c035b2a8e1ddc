/**
 * Which unauthenticated connections the sync port keeps. Pure: connections are numbers and addresses strings.
 *
 *   admit(id, address) ──> admitted (perhaps displacing others) ──> authenticated(id) or closed(id) ──> forgotten
 *                     └──> refused: its address already holds maxPerAddress unauthenticated connections
 *
 * Beyond maxTotal, a newcomer displaces the oldest connection of the address holding the most: a flood from a
 * few addresses only displaces itself, and a real peer (one or two connections, finished in milliseconds) is the
 * last to go.
 */
export interface ConnectionBudgetLimits {
  readonly maxTotal: number;
  readonly maxPerAddress: number;
}

export type Admission =
  { readonly admitted: true; readonly displaced: readonly number[] } | { readonly admitted: false };

export class ConnectionBudget {
  /** id → address, in order of admission (oldest first). */
  private readonly open = new Map<number, string>();
  private readonly perAddress = new Map<string, number>();

  constructor(readonly limits: ConnectionBudgetLimits) {
    if (limits.maxTotal < 1 || limits.maxPerAddress < 1)
      throw new Error(`invalid connection limits ${JSON.stringify(limits)}`);
  }

  get size(): number {
    return this.open.size;
  }

  admit(id: number, address: string): Admission {
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxPerAddress) return { admitted: false };
    const displaced: number[] = [];
    while (this.open.size >= this.limits.maxTotal) {
      const victim = this.oldestOfBusiestAddress();
      this.forget(victim);
      displaced.push(victim);
    }
    this.open.set(id, address);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    return { admitted: true, displaced };
  }

  /** The connection carried an authenticated request, or closed: it no longer counts. */
  forget(id: number): void {
    const address = this.open.get(id);
    if (address === undefined) return;
    this.open.delete(id);
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(address);
    else this.perAddress.set(address, left);
  }

  has(id: number): boolean {
    return this.open.has(id);
  }

  private oldestOfBusiestAddress(): number {
    let busiest = '';
    let most = 0;
    for (const [address, count] of this.perAddress) {
      if (count > most) {
        busiest = address;
        most = count;
      }
    }
    for (const [id, address] of this.open) if (address === busiest) return id;
    throw new Error('connection budget: no connection to displace');
  }
}
