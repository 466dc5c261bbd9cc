import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../models/registry.js';

/** The ensemble the bench times (ours on each engine, and ONNX Runtime on its export): m members of one model. */
export interface EnsembleJob {
  model: string;
  /** Members (seeds 1..m). */
  members: number;
  /** Batch sizes to time: the inference batch, and 1 for latency. */
  batches: number[];
  steps: number;
}

/** Timings of the ensemble at each batch size, on one engine. */
export interface EnsembleTiming {
  engine: string;
  threads: number | null;
  model: string;
  members: number;
  infer: { batch: number; imagesPerSecond: number; stepMs: number[] }[];
}

/** The m members, built the same way in every process (the same seeds), for 28 x 28 x 1 images and 10 classes. */
export function ensembleMembers(job: EnsembleJob): tfl.LayersModel[] {
  return Array.from({ length: job.members }, (_, i) => buildModel(job.model, { inputShape: [28, 28, 1], numClasses: 10 }, i + 1));
}

/** Timed steps at a batch: enough for a stable median at batch 1 (where a step is short), `steps` at larger ones. */
export const stepsAt = (batch: number, steps: number) => (batch === 1 ? Math.max(20, 4 * steps) : Math.max(2, steps));
