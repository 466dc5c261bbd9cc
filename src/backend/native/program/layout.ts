import { OPERATIONS } from './operations.js';
import type { Plan } from './planBuilder.js';

/** Storages start at multiples of 16 floats (64 bytes, a cache line and an AVX-512 register). */
const ALIGN = 16;

/** Where each storage of a plan lies in the arena, and the arena's size, in floats. */
export interface Layout {
  arenaFloats: number;
  /** Per storage; -1 for one no operation uses. */
  offsets: number[];
}

/**
 * Lays out a plan's storages in one arena for a batch of `maxBatch`: each storage lives from the first to the last
 * operation that uses one of its buffers (the forward list, then the backward list), and two storages share memory
 * only when their lives do not overlap. Greedy, largest first, each at the lowest offset free for its whole life
 * (as TensorFlow Lite's arena planner does). Pure.
 */
export function layOut(plan: Plan, maxBatch: number): Layout {
  const first: number[] = plan.storages.map(() => Infinity);
  const last: number[] = plan.storages.map(() => -1);
  [...plan.forward, ...plan.backward].forEach((op, t) => {
    for (const name of OPERATIONS[op.name].buffers) {
      const id = (op.buffers as Record<string, number | null>)[name];
      if (id === null || id === undefined) continue;
      const s = plan.buffers[id]!.storage;
      if (s === null) continue;
      first[s] = Math.min(first[s]!, t);
      last[s] = Math.max(last[s]!, t);
    }
  });
  const size = plan.storages.map((s) => Math.ceil(((s.batched ? maxBatch : 1) * s.floats) / ALIGN) * ALIGN);
  const order = plan.storages.map((_, i) => i).filter((i) => last[i]! >= 0);
  order.sort((a, b) => size[b]! - size[a]! || first[a]! - first[b]! || a - b);
  const offsets = plan.storages.map(() => -1);
  const placed: number[] = [];
  let arenaFloats = 0;
  for (const s of order) {
    const busy = placed
      .filter((p) => first[p]! <= last[s]! && first[s]! <= last[p]!)
      .map((p) => [offsets[p]!, offsets[p]! + size[p]!] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [start, end] of busy) {
      if (at + size[s]! <= start) break;
      at = Math.max(at, end);
    }
    offsets[s] = at;
    placed.push(s);
    arenaFloats = Math.max(arenaFloats, at + size[s]!);
  }
  return { arenaFloats, offsets };
}
