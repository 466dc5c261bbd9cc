/**
 * One benchmark process for ONNX Runtime: the m-member ensemble exported as one ONNX graph (ensembleOnnx, as
 * `export --format onnx` writes it) run by onnxruntime-node on the CPU with the given intra-op threads, at each batch
 * size. Reads its job as JSON from argv[2]; prints one JSON line (EnsembleTiming).
 */
import { useBackend } from '../backend/backends.js';
import { FASHION_MNIST_NORMALIZATION } from '../data/batch.js';
import { ensembleOnnx } from '../deploy/onnx/ensembleOnnx.js';
import { loadOnnxRuntime, ONNX_RUNTIME_MISSING, openOnnx, runtimeName } from '../deploy/onnx/runtime.js';
import { ensembleMembers, stepsAt, type EnsembleJob, type EnsembleTiming } from './ensembleJob.js';
import { median } from './report.js';
import { runAsWorker } from './workerMain.js';

async function run(job: EnsembleJob & { threads: number }): Promise<EnsembleTiming> {
  const ort = await loadOnnxRuntime();
  if (ort === null) throw new Error(ONNX_RUNTIME_MISSING);
  // the members are built and folded on the pure-JS backend, which starts no threads of its own
  await useBackend('cpu');
  const members = ensembleMembers(job);
  const classNames = Array.from({ length: 10 }, (_, k) => String(k));
  const { bytes } = ensembleOnnx(members, { inputShape: [28, 28, 1], input: { kind: 'pixels', range: [0, 255] }, normalization: FASHION_MNIST_NORMALIZATION, head: { task: 'classification', combine: 'mean', classNames } });
  members.forEach((m) => m.dispose());
  const session = await openOnnx(ort, bytes, job.threads);
  const infer = [];
  for (const batch of job.batches) {
    const pixels = new ort.Tensor('float32', Float32Array.from({ length: batch * 784 }, (_, i) => (i * 7919) % 256), [batch, 28, 28, 1]);
    await session.run({ pixels });
    const stepMs: number[] = [];
    for (let i = 0; i < stepsAt(batch, job.steps); i++) {
      const start = performance.now();
      const out = await session.run({ pixels });
      void out['probabilities']!.data;
      stepMs.push(performance.now() - start);
    }
    infer.push({ batch, imagesPerSecond: (1000 * batch) / median(stepMs), stepMs });
  }
  await session.release();
  return { engine: runtimeName(ort), threads: job.threads, model: job.model, members: job.members, infer };
}

runAsWorker(run);
