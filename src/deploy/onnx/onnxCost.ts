import type { ImageSet } from '../../data/dataset.js';
import { classificationMetrics } from '../../metrics/classification.js';
import { probabilityMatrix } from '../../metrics/probabilities.js';
import type { OnnxLayout } from './heads.js';
import { loadOnnxRuntime, ONNX_RUNTIME_MISSING, openOnnx, predictOnnx, runtimeName } from './runtime.js';

/** An ONNX classifier to time: the file or its bytes, what one image costs, and its input layout. */
export interface OnnxToTime {
  label: string;
  model: string | Uint8Array;
  /** Members' forward passes folded into this one graph. */
  members: number;
  flopsPerImage: number;
  layout: OnnxLayout;
}

/** One row of `evaluate --cost` for an ONNX model in ONNX Runtime (the shape of inferenceCost's CostPoint). */
export interface OnnxCostPoint {
  label: string;
  kind: 'onnx';
  passes: number;
  error: number;
  nll: number;
  ece: number;
  flopsPerImage: number;
  imagesPerSecond: number;
}

/**
 * ONNX Runtime's CPU inference of each model on a test set, timed as measureInferenceCost times ours: one session
 * run per batch of PREDICT_BATCH_SIZE, after a warm-up on `warmUp`, with `threads` intra-op threads (those of the
 * backend it is compared with). Without onnxruntime-node: no points and a note saying so.
 */
export async function onnxCostPoints(models: readonly OnnxToTime[], test: ImageSet, warmUp: ImageSet, threads?: number): Promise<{ points: OnnxCostPoint[]; note: string | null }> {
  if (models.length === 0) return { points: [], note: null };
  const ort = await loadOnnxRuntime();
  if (ort === null) return { points: [], note: `ONNX Runtime not timed: ${ONNX_RUNTIME_MISSING}` };
  const points: OnnxCostPoint[] = [];
  for (const m of models) {
    const session = await openOnnx(ort, m.model, threads);
    try {
      await predictOnnx(ort, session, warmUp, m.layout);
      const { outputs, seconds } = await predictOnnx(ort, session, test, m.layout);
      const probabilities = probabilityMatrix(outputs['probabilities']!, outputs['probabilities']!.length / test.count);
      const { error, nll, ece } = classificationMetrics(probabilities, test.labels);
      points.push({ label: m.label, kind: 'onnx', passes: 1, error, nll, ece, flopsPerImage: m.flopsPerImage, imagesPerSecond: test.count / seconds });
    } finally {
      await session.release();
    }
  }
  return { points, note: `ONNX Runtime: ${runtimeName(ort)} on the CPU, ${threads === undefined ? 'its default threads' : `${threads} thread${threads === 1 ? '' : 's'}`}` };
}
