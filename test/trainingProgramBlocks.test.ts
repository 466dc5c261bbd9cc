import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { compileTraining } from '../src/backend/native/program/compile.js';
import type { Plan } from '../src/backend/native/program/planBuilder.js';
import { trainingGraph } from '../src/models/trainingGraph.js';
import { buildModel } from '../src/models/registry.js';

/** Each operation of a list, counted by name (a convolution's by name and block: 'conv/8'). */
function census(plan: Plan, list: 'forward' | 'backward'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of plan[list]) {
    const block = (op.params as Record<string, number>)['block'];
    const key = block === undefined || block === 0 ? op.name : `${op.name}/${block}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function compiled(name: string, inputShape: number[], block: 0 | 8 | 16): Plan {
  const model = buildModel(name, { inputShape, numClasses: 10 }, 1);
  const graph = trainingGraph(model as tfl.LayersModel);
  if (typeof graph === 'string') throw new Error(graph);
  const plan = compileTraining(graph, 4, block);
  model.dispose();
  if (typeof plan === 'string') throw new Error(plan);
  return plan;
}

describe('training programs keep activations blocked by channels', () => {
  beforeAll(async () => {
    await useBackend('cpu'); // the models are built on cpu; compiling reads only their graphs
  });

  it('the cnn: every convolution after the first blocked, one conversion each way at either edge', () => {
    const plan = compiled('cnn', [28, 28, 1], 8);
    // conv1 (1 -> 32 channels) stays NHWC: oneDNN has no fast kernel from NHWC into blocks; its output is blocked once
    // for the batch norm after it, and the last pooling's output unblocked once for the flatten.
    expect(census(plan, 'forward')).toEqual({ copy: 2, conv: 1, block: 1, batchNorm: 4, 'conv/8': 3, pool: 2, unblock: 1, dense: 2 });
    expect(census(plan, 'backward')).toMatchObject({ 'convFilter/8': 3, 'convData/8': 3, convFilter: 1, block: 1, unblock: 1, batchNormGrad: 4, poolGrad: 2 });
    // Blocked buffers are [c / 8 positions, 8] per example: conv2's output, 32 channels at 28 x 28.
    const conv2 = plan.forward.find((op) => op.name === 'conv' && (op.params as Record<string, number>)['block'] === 8)!;
    const y = plan.buffers[(conv2.buffers as Record<string, number>)['y']!]!;
    expect([y.rows, y.cols, y.stride]).toEqual([4 * 28 * 28, 8, 8]);
  });

  it('resnet20 and wrn-16-4 at 16 channels a block: all but the stem, and their gradients, with no conversion but the stem and the head', () => {
    for (const name of ['resnet20', 'wrn-16-4']) {
      const plan = compiled(name, [32, 32, 3], 16);
      const convs = plan.forward.filter((op) => op.name === 'conv');
      expect(convs.filter((op) => (op.params as Record<string, number>)['block'] === 16)).toHaveLength(convs.length - 1);
      const forward = census(plan, 'forward');
      const backward = census(plan, 'backward');
      expect([forward['block'], forward['unblock'] ?? 0, backward['block'] ?? 0, backward['unblock']]).toEqual([1, 0, 0, 1]);
      expect(backward['convData']).toBeUndefined(); // the stem's input gets no gradient
    }
  });

  it('DenseNet (concatenations) and a block of 0 stay NHWC', () => {
    for (const plan of [compiled('densenet40', [32, 32, 3], 8), compiled('resnet20', [32, 32, 3], 0)]) {
      const names = [...plan.forward, ...plan.backward].map((op) => op.name);
      expect(names).not.toContain('block');
      expect(names).not.toContain('unblock');
      expect(plan.forward.every((op) => (op.params as Record<string, number>)['block'] !== 8)).toBe(true);
    }
  });
});

describe('training programs fold a sum into the batch norm whose output it alone reads', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it("resnet20: each block's sum into its last batch norm (the projection's where a block projects), the sum's ReLU with it", () => {
    for (const block of [0, 8] as const) {
      const plan = compiled('resnet20', [32, 32, 3], block);
      expect(census(plan, 'forward')['add']).toBeUndefined();
      const folded = plan.forward.filter((op) => op.name === 'batchNorm' && (op.buffers as Record<string, number | null>)['residual'] !== null);
      expect(folded).toHaveLength(9);
      expect(folded.every((op) => (op.params as Record<string, number>)['relu'] === 1)).toBe(true);
      // The backward list masks each sum's gradient once (by its ReLU) and gives it to both terms.
      expect(census(plan, 'backward')['mask']).toBe(9);
    }
  });

  it("wrn-16-4's sums read convolutions and stay sums", () => {
    const plan = compiled('wrn-16-4', [32, 32, 3], 8);
    expect(census(plan, 'forward')['add']).toBe(6);
    expect(plan.forward.every((op) => op.name !== 'batchNorm' || (op.buffers as Record<string, number | null>)['residual'] === null)).toBe(true);
  });
});
