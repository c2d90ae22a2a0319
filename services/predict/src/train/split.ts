/** A seeded, stratified train/test split: the same seed gives the same split on any machine. */

/** mulberry32: a small 32-bit generator, enough to shuffle a few hundred rows reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Split {
  /** Row indices, ascending. */
  train: number[];
  test: number[];
}

/**
 * Holds out `testFraction` of each class (rounded, at least one row of any class with two or more), so
 * the test split has the classes in the proportions of the whole.
 */
export function stratifiedSplit(labels: readonly string[], testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`testFraction must be in (0, 1), not ${testFraction}`);
  const random = seededRandom(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((label, index) => {
    const rows = byClass.get(label) ?? [];
    rows.push(index);
    byClass.set(label, rows);
  });
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label)!;
    // Fisher-Yates, from the end.
    for (let i = rows.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const held = rows.length < 2 ? 0 : Math.max(1, Math.round(rows.length * testFraction));
    test.push(...rows.slice(0, held));
    train.push(...rows.slice(held));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}
