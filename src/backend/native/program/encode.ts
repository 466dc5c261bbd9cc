import type { NativeAddon } from '../addon.js';
import { layOut } from './layout.js';
import { encodeOp, type OperationName } from './operations.js';
import type { Plan } from './planBuilder.js';

/** The addon's rows for a plan laid out for `maxBatch`; op codes from the addon's own table. */
export function encode(addon: NativeAddon, plan: Plan, maxBatch: number) {
  const codes = addon.programOperations();
  const code = (name: OperationName) => codes[name]![0];
  const layout = layOut(plan, maxBatch);
  const buffers = plan.buffers.map((b) =>
    b.slot !== null
      ? [1, b.slot, b.batched ? 1 : 0, b.rows, b.cols, b.stride]
      : [0, layout.offsets[b.storage!]! + b.offset, b.batched ? 1 : 0, b.rows, b.cols, b.stride],
  );
  return {
    arenaFloats: layout.arenaFloats,
    buffers,
    forward: plan.forward.map((op) => encodeOp(op, code(op.name))),
    backward: plan.backward.map((op) => encodeOp(op, code(op.name))),
  };
}

