import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationHead } from '../src/training/taskHead.js';
import { useBackend } from '../src/backend/backends.js';
import type { ImageSet } from '../src/data/dataset.js';
import { readCheckpoint, removeCheckpoint, restoreCheckpoint, writeCheckpoint } from '../src/run/checkpoint.js';
import { SteppedDropout } from '../src/models/dropout.js';
import { snapshotCosine } from '../src/schedules/snapshotCosine.js';
import { SgdOptimizer } from '../src/training/sgd.js';
import { TrainingInterrupted, trainLoop } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { tempDir } from './helpers/cli.js';
import type { LoopState } from '../src/schema/training.js';

/** A small conv net with batch norm and (stepped) dropout on 8x8 images, quick enough for the cpu backend. */
function smallNet(): tfl.LayersModel {
  const rng = new Rng(5);
  const input = tfl.input({ shape: [8, 8, 1] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: rng.nextUint32() }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  x = new SteppedDropout({ rate: 0.3, seed: rng.nextUint32() }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.nextUint32() }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function syntheticImages(n: number): ImageSet {
  const rng = new Rng(9);
  const images = Uint8Array.from({ length: n * 64 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { images, labels, count: n, height: 8, width: 8, channels: 1 };
}

const train = syntheticImages(40);
const EPOCHS = 3; // batch 16 -> 3 iterations an epoch, T = 9

function loopConfig(model: tfl.LayersModel, optimizer: SgdOptimizer) {
  return {
    model,
    optimizer,
    train,
    head: classificationHead(3),
    normalization: { mean: 0.5, std: 0.25 },
    augmentation: { pad: 1, flip: true },
    batchSize: 16,
    epochs: EPOCHS,
    schedule: snapshotCosine({ lr0: 0.1, totalSteps: 9, cycles: 3 }),
    snapshotAt: [3, 6, 9],
    rng: new Rng(1),
  };
}

async function uninterrupted(): Promise<Float32Array[]> {
  const model = smallNet();
  const optimizer = new SgdOptimizer({ learningRate: 0.1 });
  await trainLoop(loopConfig(model, optimizer));
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  optimizer.dispose();
  model.dispose();
  return weights;
}

/** Stops after `stopAfter` iterations, checkpoints to disk, and resumes in a fresh model and optimizer. */
async function interruptedAndResumed(stopAfter: number): Promise<Float32Array[]> {
  const dir = tempDir();
  const first = smallNet();
  const firstOptimizer = new SgdOptimizer({ learningRate: 0.1 });
  let steps = 0;
  let saved: LoopState | undefined;
  await expect(
    trainLoop({
      ...loopConfig(first, firstOptimizer),
      checkpointEvery: 0,
      shouldStop: () => ++steps >= stopAfter,
      hooks: { onCheckpoint: (state) => { saved = state; writeCheckpoint(dir, state, first, firstOptimizer); } },
    }),
  ).rejects.toBeInstanceOf(TrainingInterrupted);
  expect(saved!.iteration).toBe(stopAfter);
  firstOptimizer.dispose();
  first.dispose();

  const model = smallNet();
  const optimizer = new SgdOptimizer({ learningRate: 0.1 });
  const checkpoint = readCheckpoint(dir);
  restoreCheckpoint(checkpoint, model, optimizer);
  await trainLoop({ ...loopConfig(model, optimizer), rng: new Rng(12345), resume: checkpoint.loop });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  optimizer.dispose();
  model.dispose();
  return weights;
}

describe.each(['cpu', 'wasm'] as const)('checkpoint and resume on the %s backend', (backend) => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await useBackend(backend);
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });

  it.each([2, 3, 4, 7])('stopping after iteration %i and resuming gives bitwise the same weights', async (stopAfter) => {
    const reference = await uninterrupted();
    const resumed = await interruptedAndResumed(stopAfter);
    expect(resumed.length).toBe(reference.length);
    resumed.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(reference[i]!)));
  });

  it('dropout masks differ from step to step but repeat for the same seed and step', () => {
    const layer = new SteppedDropout({ rate: 0.5, seed: 3 });
    const x = tf.ones([1, 200]);
    const mask = (step: number) => {
      layer.setStep(step);
      return Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync());
    };
    expect(mask(1)).not.toEqual(mask(2));
    expect(mask(5)).toEqual(mask(5));
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(new Array(200).fill(1));
  });
});

describe('a crash while replacing a checkpoint', () => {
  it('leaves a whole checkpoint that is found and then cleaned up', async () => {
    await useBackend('cpu');
    const { mkdirSync, readdirSync, renameSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { removeTemporaries } = await import('../src/io/atomicWrite.js');
    const dir = tempDir();
    const model = smallNet();
    const optimizer = new SgdOptimizer({ learningRate: 0.1 });
    const state = (iteration: number): LoopState => ({
      iteration, epoch: 1, batch: iteration, order: null, rngState: 1, snapshotsTaken: 0, epochLossSum: 0, epochCorrect: 0,
      epochSeen: 0, epochSeconds: 0, learningRates: [], losses: [], epochs: [], seconds: 0,
    });
    writeCheckpoint(dir, state(3), model, optimizer);
    // the crash: the old checkpoint moved aside, the new one not yet renamed into place, a half-written snapshot
    renameSync(path.join(dir, 'checkpoint'), path.join(dir, '.checkpoint-old.tmp-1-aa'));
    mkdirSync(path.join(dir, '.checkpoint.tmp-1-bb'));
    writeFileSync(path.join(dir, '.run.json.tmp-1-cc'), '{');
    expect(readCheckpoint(dir).loop.iteration).toBe(3);
    removeTemporaries(dir);
    expect(readdirSync(dir).sort()).toEqual(['.checkpoint-old.tmp-1-aa']);
    writeCheckpoint(dir, state(5), model, optimizer);
    expect(readdirSync(dir)).toEqual(['checkpoint']);
    expect(readCheckpoint(dir).loop.iteration).toBe(5);
    // a new run in the same directory (train --overwrite) removes the checkpoint and any copy left aside, so that a
    // resume can never fall back to the old run's state
    renameSync(path.join(dir, 'checkpoint'), path.join(dir, '.checkpoint-old.tmp-2-dd'));
    removeCheckpoint(dir);
    expect(readdirSync(dir)).toEqual([]);
    expect(() => readCheckpoint(dir)).toThrow(/checkpoint/);
    optimizer.dispose();
    model.dispose();
  });
});
