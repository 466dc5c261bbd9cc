/**
 * One benchmark process: one backend, one model (the wasm thread pool is fixed once started, and peak memory is
 * per process). Reads its job as JSON from argv[2]; prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from '../backend/backends.js';
import { buildModel } from '../models/registry.js';
import { ensembleMembers, stepsAt, type EnsembleTiming } from './ensembleJob.js';
import { trainingFlopsPerImage, forwardFlopsPerImage } from '../models/flops.js';
import { measureEnsembleInference, measureInference, measureTraining } from './measure.js';
import { runAsWorker } from './workerMain.js';

export interface BenchJob {
  backend: BackendName;
  threads?: number;
  model: string;
  trainBatches: number[];
  inferBatch: number;
  steps: number;
  /** Also time the inference of an ensemble of this many members at these batch sizes (as ONNX Runtime is timed). */
  ensemble?: { members: number; batches: number[] };
}

export interface BenchWorkerResult {
  backend: string;
  backendLine: string;
  threads: number | null;
  model: string;
  trainingFlopsPerImage: number;
  forwardFlopsPerImage: number;
  train: { batch: number; imagesPerSecond: number; stepMs: number[]; tensors: number[] }[];
  infer: { batch: number; imagesPerSecond: number; stepMs: number[] };
  /** Peak resident memory of the process after training, before inference, in MiB. */
  trainPeakRssMiB: number;
  /** Peak resident memory of the process over training and inference (before the ensemble's timing), in MiB. */
  peakRssMiB: number;
  /** Bytes held by tensors at the end (weights, optimizer state). */
  tensorBytes: number;
  /** The ensemble's inference, when the job asked for it. */
  ensemble: EnsembleTiming | null;
}

async function run(job: BenchJob): Promise<BenchWorkerResult> {
  tf.enableProdMode();
  const { describeChoice } = await import('../backend/backends.js');
  const choice = await useBackend(job.backend, job.threads === undefined ? {} : { threads: job.threads });
  const model = buildModel(job.model, { inputShape: [28, 28, 1], numClasses: 10 }, 1);
  const train = [];
  for (const batch of job.trainBatches) train.push({ batch, ...(await measureTraining(model, batch, job.steps)) });
  const trainPeakRssMiB = process.resourceUsage().maxRSS / 1024;
  const infer = { batch: job.inferBatch, ...(await measureInference(model, job.inferBatch, Math.max(2, Math.ceil(job.steps / 2)))) };
  const threads = choice.wasm?.threads ?? choice.native?.threads ?? null;
  // Peak of training and inference alone, as PyTorch's row measures it: the ensemble's members come after.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  let ensemble: EnsembleTiming | null = null;
  if (job.ensemble !== undefined) {
    const members = ensembleMembers({ model: job.model, ...job.ensemble, steps: job.steps });
    const timings = [];
    for (const batch of job.ensemble.batches) {
      const { imagesPerSecond, stepMs } = await measureEnsembleInference(members, batch, stepsAt(batch, job.steps));
      timings.push({ batch, imagesPerSecond, stepMs });
    }
    members.forEach((m) => m.dispose());
    ensemble = { engine: choice.backend, threads, model: job.model, members: job.ensemble.members, infer: timings };
  }
  const result: BenchWorkerResult = {
    backend: choice.backend,
    backendLine: describeChoice(choice),
    threads,
    model: job.model,
    trainingFlopsPerImage: trainingFlopsPerImage(model),
    forwardFlopsPerImage: forwardFlopsPerImage(model),
    train,
    infer,
    trainPeakRssMiB,
    peakRssMiB,
    tensorBytes: tf.memory().numBytes,
    ensemble,
  };
  model.dispose();
  return result;
}

runAsWorker(run);
