import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SgdOptimizer } from '../training/sgd.js';
import type { WeightAverageState } from '../training/swa.js';

import { UserError } from '../util/errors.js';
import { temporarySibling } from '../io/atomicWrite.js';
import { writeFileDurable } from '../io/durableWrite.js';
import type { LoopState } from '../schema/training.js';

export const CHECKPOINT_DIR = 'checkpoint';
const STATE_JSON = 'state.json';
const TENSORS_BIN = 'tensors.bin';
const CHECKPOINT_FORMAT = 'snapshot-ensembles/checkpoint';

interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements into tensors.bin. */
  offset: number;
}

interface CheckpointFile {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  loop: LoopState;
  /** Every weight of the model (trainable and batch-norm statistics), in model.getWeights() order. */
  weights: TensorEntry[];
  /** Momentum buffer of each trainable weight, in model.trainableWeights order; null before its first update. */
  momentum: (TensorEntry | null)[];
  optimizerIterations: number;
  /** SWA's running average (every weight, model.getWeights() order) and its count; absent without SWA. */
  swa?: { count: number; weights: TensorEntry[] } | null;
  sha256: string;
}

export interface Checkpoint {
  loop: LoopState;
  weights: Float32Array[];
  weightNames: string[];
  weightShapes: number[][];
  momentum: (Float32Array | null)[];
  momentumShapes: (number[] | null)[];
  optimizerIterations: number;
  /** SWA's running average, when the run averages and had begun to. */
  swa: WeightAverageState | null;
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Writes the loop's state, all model weights and the optimizer's momentum buffers to RUN_DIR/checkpoint, replacing
 * the previous checkpoint atomically: the new one is written and flushed under a temporary name, the old one moved
 * aside, the new one renamed into place, the old one removed. A crash at any point leaves a whole checkpoint
 * (readCheckpoint also picks up one left aside).
 */
export function writeCheckpoint(runDir: string, loop: LoopState, model: tfl.LayersModel, optimizer: SgdOptimizer, swa: WeightAverageState | null = null): void {
  const weights = model.getWeights();
  const momentum = optimizer.momentumBuffers(trainableVariables(model));
  const arrays: Float32Array[] = [];
  let offset = 0;
  const entry = (name: string, t: tf.Tensor): TensorEntry => {
    const data = t.dataSync() as Float32Array;
    arrays.push(data);
    const e = { name, shape: t.shape, offset };
    offset += data.length;
    return e;
  };
  const weightEntries = weights.map((w, i) => entry(model.weights[i]!.originalName, w));
  const momentumEntries = momentum.map((m, i) => (m === null ? null : entry(`${model.trainableWeights[i]!.originalName}/momentum`, m)));
  const raw = (name: string, values: Float32Array, shape: number[]): TensorEntry => {
    arrays.push(values);
    const e = { name, shape, offset };
    offset += values.length;
    return e;
  };
  const swaEntries = swa === null ? null : swa.weights.map((w, i) => raw(`${model.weights[i]?.originalName ?? i}/swa`, w, swa.shapes[i]!));
  const bytes = new Uint8Array(offset * 4);
  const all = new Float32Array(bytes.buffer);
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    loop,
    weights: weightEntries,
    momentum: momentumEntries,
    optimizerIterations: optimizer.iterations,
    ...(swa === null ? {} : { swa: { count: swa.count, weights: swaEntries! } }),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const target = path.join(runDir, CHECKPOINT_DIR);
  const tmp = temporarySibling(target);
  mkdirSync(tmp);
  try {
    writeFileDurable(path.join(tmp, TENSORS_BIN), bytes);
    writeFileDurable(path.join(tmp, STATE_JSON), JSON.stringify(file));
    const old = existsSync(target) ? asideName(target) : null;
    if (old !== null) renameSync(target, old);
    renameSync(tmp, target);
    // The one just moved aside, and any a crash left behind earlier.
    for (const name of readdirSync(runDir)) {
      if (name.startsWith(`.${CHECKPOINT_DIR}-old.tmp-`)) rmSync(path.join(runDir, name), { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function asideName(target: string): string {
  return temporarySibling(`${target}-old`);
}

/** The checkpoint directory of a run, or one left aside by a crash in the middle of replacing it. */
function checkpointDir(runDir: string): string | null {
  const target = path.join(runDir, CHECKPOINT_DIR);
  if (existsSync(path.join(target, STATE_JSON))) return target;
  const aside = readdirSync(runDir).filter((n) => n.startsWith(`.${CHECKPOINT_DIR}-old.tmp-`));
  for (const name of aside) {
    const dir = path.join(runDir, name);
    if (existsSync(path.join(dir, STATE_JSON))) return dir;
  }
  return null;
}

export function hasCheckpoint(runDir: string): boolean {
  return existsSync(runDir) && checkpointDir(runDir) !== null;
}

/** Reads and verifies a run's checkpoint. */
export function readCheckpoint(runDir: string): Checkpoint {
  const dir = checkpointDir(runDir);
  if (dir === null) throw new UserError(`${runDir}: no checkpoint to resume from`);
  let file: CheckpointFile;
  try {
    file = JSON.parse(readFileSync(path.join(dir, STATE_JSON), 'utf8')) as CheckpointFile;
  } catch (e) {
    throw new UserError(`${path.join(dir, STATE_JSON)}: not valid JSON (${(e as Error).message})`);
  }
  if (file?.format !== CHECKPOINT_FORMAT) throw new UserError(`${path.join(dir, STATE_JSON)}: not a checkpoint`);
  const binFile = path.join(dir, TENSORS_BIN);
  const bytes = existsSync(binFile) ? readFileSync(binFile) : null;
  if (bytes === null || createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
    throw new UserError(`${binFile}: damaged or missing (sha256 differs from state.json)`);
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const read = (e: TensorEntry) => floats.slice(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1));
  return {
    loop: file.loop,
    weights: file.weights.map(read),
    weightNames: file.weights.map((e) => e.name),
    weightShapes: file.weights.map((e) => e.shape),
    momentum: file.momentum.map((e) => (e === null ? null : read(e))),
    momentumShapes: file.momentum.map((e) => (e === null ? null : e.shape)),
    optimizerIterations: file.optimizerIterations,
    swa: file.swa == null ? null : { count: file.swa.count, weights: file.swa.weights.map(read), shapes: file.swa.weights.map((e) => e.shape) },
  };
}

/** Puts a checkpoint's weights into the model and its momentum buffers into the optimizer. */
export function restoreCheckpoint(checkpoint: Checkpoint, model: tfl.LayersModel, optimizer: SgdOptimizer): void {
  const modelWeights = model.weights;
  if (modelWeights.length !== checkpoint.weights.length) {
    throw new UserError(`checkpoint holds ${checkpoint.weights.length} weights but the model has ${modelWeights.length}`);
  }
  // Names of auto-named layers differ from one build to the next; shapes must agree.
  modelWeights.forEach((w, i) => {
    if (w.shape.join('x') !== checkpoint.weightShapes[i]!.join('x')) {
      throw new UserError(
        `checkpoint weight ${i} (${checkpoint.weightNames[i]}) is ${checkpoint.weightShapes[i]!.join('x')} but the model's ${w.originalName} is ${w.shape.join('x')}`,
      );
    }
  });
  tf.tidy(() => {
    model.setWeights(checkpoint.weights.map((w, i) => tf.tensor(w, checkpoint.weightShapes[i]!)));
    const buffers = checkpoint.momentum.map((m, i) => (m === null ? null : tf.tensor(m, checkpoint.momentumShapes[i]!)));
    optimizer.restore(checkpoint.optimizerIterations, trainableVariables(model), buffers);
  });
}

/** Removes a run's checkpoint, and any copy of an older one that a crash left aside (resume would fall back to it). */
export function removeCheckpoint(runDir: string): void {
  rmSync(path.join(runDir, CHECKPOINT_DIR), { recursive: true, force: true });
  if (!existsSync(runDir)) return;
  for (const name of readdirSync(runDir).filter((n) => n.startsWith(`.${CHECKPOINT_DIR}-old.tmp-`))) {
    rmSync(path.join(runDir, name), { recursive: true, force: true });
  }
}
