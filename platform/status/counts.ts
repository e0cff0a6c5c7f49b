/** Adding up counters: by key (event type, function) across processes, and over all keys. */

/** Counts by key, added across records: `[{a: 1}, {a: 2, b: 1}]` → `{a: 3, b: 1}`. */
export function sumCounts(records: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Every count added: `{a: 3, b: 1}` → 4, `[1, 2]` → 3. */
export function total(counts: Record<string, number> | Iterable<number>): number {
  const values = Symbol.iterator in counts ? counts : Object.values(counts);
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
}
