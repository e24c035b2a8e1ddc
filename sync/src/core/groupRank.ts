/** How the odd one out is chosen when nodes split into groups (configuration agreement, database topology). */
export interface RankedNode {
  readonly id: string;
  readonly startedAt: number;
}

/** Whether group a beats group b: the bigger first; between equal ones, the one holding the earliest-started node (then the lowest ID). */
export function groupBeats(a: readonly RankedNode[], b: readonly RankedNode[]): boolean {
  if (a.length !== b.length) return a.length > b.length;
  const earliest = (group: readonly RankedNode[]) =>
    [...group].sort((x, y) => x.startedAt - y.startedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))[0] as RankedNode;
  const ea = earliest(a);
  const eb = earliest(b);
  return ea.startedAt !== eb.startedAt ? ea.startedAt < eb.startedAt : ea.id < eb.id;
}
