import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import protobuf from 'protobufjs';
import onnxSchema from '../../src/deploy/onnx/onnx.proto?raw';
import { exportPathProblem } from './exported.js';

/**
 * A file written by `snapshot-ensembles export --format onnx`, run by ONNX Runtime Web on WebAssembly (its binary
 * bundled with the page and served by it). Like TF.js's wasm backend here, it runs on one thread unless the page is
 * cross-origin isolated.
 */
ort.env.wasm.wasmPaths = { wasm: wasmUrl };
if (!globalThis.crossOriginIsolated) ort.env.wasm.numThreads = 1;

export interface OnnxModel {
  /** Its file inside the run directory, e.g. exports/last3-mean.onnx. */
  path: string;
  session: ort.InferenceSession;
  loadMilliseconds: number;
  /** From the metadata `export` writes (snapshot_ensembles); null if absent. */
  members: number[] | null;
  layout: 'nhwc' | 'nchw';
}

/** The `snapshot_ensembles` metadata of an .onnx file, read with ONNX's own schema (the one the exporter writes with). */
function exportMetadata(bytes: Uint8Array): { members?: unknown; layout?: unknown } {
  const model = protobuf.parse(onnxSchema, { keepCase: true }).root.lookupType('onnx.ModelProto');
  const decoded = model.toObject(model.decode(bytes), { arrays: true }) as { metadata_props: { key: string; value: string }[] };
  const entry = decoded.metadata_props.find((p) => p.key === 'snapshot_ensembles');
  return entry === undefined ? {} : (JSON.parse(entry.value) as { members?: unknown; layout?: unknown });
}

export async function loadOnnx(path: string): Promise<OnnxModel> {
  const problem = exportPathProblem(path, 'onnx');
  if (problem !== null) throw new Error(problem);
  const start = performance.now();
  const response = await fetch(`run/${path}`);
  if (!response.ok) throw new Error(`run/${path}: ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const loadMilliseconds = performance.now() - start;
  const meta = exportMetadata(bytes);
  const members = Array.isArray(meta.members) && meta.members.every((m) => Number.isInteger(m)) ? (meta.members as number[]) : null;
  return { path, session, loadMilliseconds, members, layout: meta.layout === 'nchw' ? 'nchw' : 'nhwc' };
}

export interface OnnxPrediction {
  /** count x K probabilities. */
  probabilities: Float32Array;
  milliseconds: number;
}

/** One run of the file on `count` images of raw bytes (H x W x C each), timed until its output is at hand. */
export async function predictOnnx(model: OnnxModel, pixels: Uint8Array, count: number, [h, w, c]: readonly [number, number, number]): Promise<OnnxPrediction> {
  const start = performance.now();
  let data = Float32Array.from(pixels);
  if (model.layout === 'nchw') {
    const nchw = new Float32Array(data.length);
    for (let i = 0; i < count; i++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) nchw[(i * c + ch) * h * w + p] = data[(i * h * w + p) * c + ch]!;
    data = nchw;
  }
  const dims = model.layout === 'nchw' ? [count, c, h, w] : [count, h, w, c];
  const input = new ort.Tensor('float32', data, dims);
  const output = await model.session.run({ [model.session.inputNames[0]!]: input });
  const probabilities = output['probabilities']!.data as Float32Array;
  return { probabilities, milliseconds: performance.now() - start };
}
