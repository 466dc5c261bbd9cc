import { snapshotPath } from '../../src/run/runRecord.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../../src/metrics/probabilities.js';
import { scheduleFromConfig } from '../../src/schedules/fromConfig.js';
import { planSnapshotCosine } from '../../src/training/snapshotPlan.js';
import { Rng } from '../../src/util/rng.js';
import type { RunRecord } from '../../src/schema/run.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION } from '../../src/schema/run.js';

/**
 * A run record as training writes it, for T iterations in M cycles, without training anything: the learning rate
 * is Eq. 2's, the loss a decaying saw-tooth; for tests of what reads run.json (reports, the server).
 */
export function syntheticRecord(options: {
  totalSteps: number;
  cycles: number;
  perEpoch: number;
  lr0?: number;
  name?: string;
  withLoss?: boolean;
  numClasses?: number;
}): RunRecord {
  const numClasses = options.numClasses ?? 3;
  const { totalSteps, cycles, perEpoch } = options;
  const plan = planSnapshotCosine(totalSteps, cycles, options.lr0 ?? 0.1);
  const schedule = scheduleFromConfig(plan.schedule);
  const learningRate = Array.from({ length: totalSteps }, (_, i) => schedule(i + 1));
  const loss = learningRate.map((lr, i) => 2 * Math.exp(-i / totalSteps) + 5 * lr);
  const epochs = Math.ceil(totalSteps / perEpoch);
  return {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    status: 'completed',
    error: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    backend: 'wasm',
    config: {
      model: 'cnn',
      dropout: 0,
      valSize: 0,
      trainSize: 100,
      testSize: 30,
      epochs,
      batchSize: 10,
      cycles,
      lr0: options.lr0 ?? 0.1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
      augment: false,
      seed: 1,
    },
    data: {
      name: options.name ?? 'fashion-mnist',
      trainExamples: 100,
      testExamples: 30,
      inputShape: [28, 28, 1],
      numClasses,
      classNames: Array.from({ length: numClasses }, (_, k) => `class ${k}`),
      normalization: { mean: 0.286, std: 0.353 },
      augmentation: null,
      source: { kind: 'idx', dir: null },
    },
    schedule: plan.schedule,
    snapshotAt: plan.snapshotAt,
    iterationsPerEpoch: perEpoch,
    totalSteps,
    snapshots: plan.snapshotAt.map((t, i) => ({
      index: i + 1,
      iteration: t,
      epoch: Math.ceil(t / perEpoch),
      learningRate: learningRate[t - 1]!,
      path: snapshotPath(i + 1),
      sha256: {},
      test: null,
    })),
    history: {
      epochs: Array.from({ length: epochs }, (_, e) => {
        const end = Math.min((e + 1) * perEpoch, totalSteps);
        const slice = loss.slice(e * perEpoch, end);
        return { epoch: e + 1, loss: slice.reduce((a, b) => a + b, 0) / slice.length, accuracy: 0.5, seconds: 1, iteration: end };
      }),
      learningRate,
      // runs recorded before the per-iteration loss was added have no history.loss
      ...(options.withLoss === false ? {} : { loss }),
    } as RunRecord['history'],
    seconds: 60,
    evaluation: null,
  };
}

/** Softmax outputs of `members` members on `n` examples over `k` classes that grow more accurate member by member. */
export function syntheticMembers(members: number, n: number, k: number, labels: ArrayLike<number>, seed = 7): ProbabilityMatrix[] {
  const rng = new Rng(seed);
  return Array.from({ length: members }, (_, m) => {
    const data = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: k }, (_, c) => 2 * rng.next() + (c === labels[i] ? 0.6 * (m + 1) : 0));
      const max = Math.max(...logits);
      const exp = logits.map((l) => Math.exp(l - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      exp.forEach((e, c) => (data[i * k + c] = e / sum));
    }
    return probabilityMatrix(data, k);
  });
}
