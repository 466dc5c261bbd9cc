import { UserError } from '../util/errors.js';
import { permutation, Rng } from '../util/rng.js';

/**
 * Splits 0..count-1 into examples kept and examples held out (a test or validation split), seeded. With labels
 * (classification) it is stratified: round(fraction x n_c) examples of each class c are held out, so every split
 * keeps the class proportions. Both lists are in increasing order. `what` names the flag in errors.
 */
export function splitIndices(
  count: number,
  fraction: number,
  seed: number,
  labels: ArrayLike<number> | null,
  what = '--test-split',
): { kept: number[]; held: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`${what} must be a fraction in (0, 1), got ${fraction}`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const key = labels === null ? 0 : labels[i]!;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(i);
  }
  const rng = new Rng(seed);
  const held: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(key)!;
    const order = permutation(group.length, rng);
    const n = Math.round(fraction * group.length);
    for (let k = 0; k < n; k++) held.push(group[order[k]!]!);
  }
  held.sort((a, b) => a - b);
  if (held.length === 0 || held.length === count) {
    throw new UserError(`${what} ${fraction} of ${count} examples leaves ${held.length === 0 ? 'none held out' : 'none to train on'}`);
  }
  const isHeld = new Uint8Array(count);
  for (const i of held) isHeld[i] = 1;
  const kept: number[] = [];
  for (let i = 0; i < count; i++) if (isHeld[i] === 0) kept.push(i);
  return { kept, held };
}

/** The items in a seeded random order (so that keeping the first N gives a sample of the whole list). */
export function seededOrder<T>(items: readonly T[], seed: number): T[] {
  return Array.from(permutation(items.length, new Rng(seed)), (k) => items[k]!);
}
