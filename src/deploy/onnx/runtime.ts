import type * as OrtNode from 'onnxruntime-node';
import type { ImageSet } from '../../data/dataset.js';
import { exampleShape, exampleSize } from '../../data/dataset.js';
import { PREDICT_BATCH_SIZE } from '../../models/predict.js';
import type { OnnxLayout } from './heads.js';

/**
 * Running an exported .onnx file in ONNX Runtime for Node (onnxruntime-node, an optional peer dependency: the
 * exporter writes files without it, and checks and times them when it is installed).
 */
export type OnnxRuntime = typeof OrtNode;
export type OnnxSession = OrtNode.InferenceSession;

/** onnxruntime-node, or null when it is not installed. */
export async function loadOnnxRuntime(): Promise<OnnxRuntime | null> {
  try {
    const mod = (await import('onnxruntime-node')) as OnnxRuntime & { default?: OnnxRuntime };
    return mod.default ?? mod;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

/** Says how to get onnxruntime-node, for whatever needed it. */
export const ONNX_RUNTIME_MISSING = 'onnxruntime-node is not installed (npm install onnxruntime-node)';

/** The version of ONNX Runtime a session runs on, e.g. 'onnxruntime-node 1.30.0'. */
export function runtimeName(ort: OnnxRuntime): string {
  return `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`;
}

/**
 * A CPU session of a model (file path or bytes): `threads` intra-op threads (default: ONNX Runtime's, one per
 * core), operators run one after another, every graph optimisation on.
 */
export function openOnnx(ort: OnnxRuntime, model: string | Uint8Array, threads?: number): Promise<OnnxSession> {
  const options: OrtNode.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    executionMode: 'sequential',
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Examples [first, first + n) of a set as the model's float32 input: raw values, N x H x W x C or N x C x H x W. */
export function onnxInput(set: ImageSet, first: number, n: number, layout: OnnxLayout): { data: Float32Array; dims: number[] } {
  const size = exampleSize(set);
  const raw = Float32Array.from(set.images.subarray(first * size, (first + n) * size));
  const shape = exampleShape(set);
  if (layout === 'nhwc' || shape.length !== 3) return { data: raw, dims: [n, ...shape] };
  const [h, w, c] = shape as [number, number, number];
  const data = new Float32Array(raw.length);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) data[i * size + (ch * h + y) * w + x] = raw[i * size + (y * w + x) * c + ch]!;
  return { data, dims: [n, c, h, w] };
}

export interface OnnxOutputs {
  /** Each output of the model over the whole set, by name (rows in order). */
  outputs: Record<string, Float32Array>;
  /** Wall seconds of the session runs (preparing the inputs included). */
  seconds: number;
}

/** Every output of a session on every example of a set, one run per batch of `batchSize` (evaluate's batching). */
export async function predictOnnx(ort: OnnxRuntime, session: OnnxSession, set: ImageSet, layout: OnnxLayout, batchSize = PREDICT_BATCH_SIZE): Promise<OnnxOutputs> {
  const parts: Record<string, Float32Array[]> = Object.fromEntries(session.outputNames.map((n) => [n, []]));
  const inputName = session.inputNames[0]!;
  const start = performance.now();
  for (let first = 0; first < set.count; first += batchSize) {
    const n = Math.min(batchSize, set.count - first);
    const { data, dims } = onnxInput(set, first, n, layout);
    const result = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
    for (const name of session.outputNames) parts[name]!.push(result[name]!.data as Float32Array);
  }
  const seconds = (performance.now() - start) / 1000;
  const outputs: Record<string, Float32Array> = {};
  for (const [name, chunks] of Object.entries(parts)) {
    const all = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    outputs[name] = all;
  }
  return { outputs, seconds };
}
