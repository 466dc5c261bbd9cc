import { readFileSync } from 'node:fs';
import type * as tfl from '@tensorflow/tfjs-layers';

import type { ExportCombine } from '../ensembleModel.js';
import { GraphBuilder } from './graph.js';
import { classificationHead, normalizedInput, regressionHead, type OnnxInputKind, type OnnxLayout } from './heads.js';
import { memberGraph } from './member.js';
import { DataType, encodeModel, valueInfo, type Dim, type ModelObject } from './protobuf.js';
import { storeWeights, type OnnxWeightStorage } from './weightStorage.js';
import type { Normalization } from '../../schema/data.js';

/** The ONNX operator set the exporter writes (ai.onnx), and the IR version that goes with it (ONNX 1.12). */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

/** The batch axis of the input and outputs, a size given at run time. */
export const BATCH_DIM = 'batch';

/** What the ensemble computes from its members' outputs. */
export type OnnxHead =
  | { task: 'classification'; combine: ExportCombine; classNames: readonly string[] }
  | {
      task: 'regression';
      /** The training targets' mean and std: the members predict (y - mean) / std. */
      target: { mean: number; std: number };
      /** Each member's noise variance sigma_k^2 in the target's units, for the `variance` output; null leaves it out. */
      noiseVariances: readonly number[] | null;
    };

/** Everything the exporter needs besides the members: what a run says about its input and task. */
export interface OnnxEnsembleSpec {
  /** One example's shape as the members take it: [H, W, C] for images, [F] for a table. */
  inputShape: readonly number[];
  input: OnnxInputKind;
  /** Per-channel (a table: per-feature) statistics the members were trained on. */
  normalization: Normalization;
  head: OnnxHead;
  /** Image inputs only: N x H x W x C (default) or N x C x H x W. */
  layout?: OnnxLayout;
  weights?: OnnxWeightStorage;
  /** Graph name and key-value metadata written into the file. */
  name?: string;
  metadata?: Record<string, string>;
  doc?: string;
}

/** An input or output of the ONNX graph: its name, element type and shape ('N' the batch). */
export interface OnnxTensorInfo {
  name: string;
  /** With BATCH_DIM for the batch axis. */
  shape: Dim[];
}

/** An ensemble written as ONNX: the file's bytes, its nodes and the bytes of its weights. */
export interface OnnxEnsemble {
  bytes: Uint8Array;
  input: OnnxTensorInfo;
  outputs: OnnxTensorInfo[];
  opset: number;
  nodes: number;
  /** Bytes of the weight matrices and filters as stored, and as float32. */
  weights: { storage: OnnxWeightStorage; storedBytes: number; float32Bytes: number };
}

function producerVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The graph's input and outputs for a spec: names, shapes (BATCH_DIM first) and the input's layout. */
export function onnxInterface(spec: OnnxEnsembleSpec): { input: OnnxTensorInfo; outputs: OnnxTensorInfo[]; layout: OnnxLayout } {
  const shape = [...spec.inputShape];
  const image = shape.length === 3;
  const layout = image ? (spec.layout ?? 'nhwc') : 'nhwc';
  const dims = layout === 'nchw' ? [shape[2]!, shape[0]!, shape[1]!] : shape;
  const input = { name: spec.input.kind === 'pixels' ? 'pixels' : 'features', shape: [BATCH_DIM, ...dims] };
  const column = (name: string): OnnxTensorInfo => ({ name, shape: [BATCH_DIM, 1] });
  const outputs =
    spec.head.task === 'classification'
      ? [{ name: 'probabilities', shape: [BATCH_DIM, spec.head.classNames.length] }]
      : [column('mean'), column('spread'), ...(spec.head.noiseVariances === null ? [] : [column('variance')])];
  return { input, outputs, layout };
}

/**
 * One ONNX model (opset ONNX_OPSET) computing an ensemble of TF.js layers models: raw input -> per-channel
 * normalisation -> each member's graph (batch norms folded into their convolutions) -> the combination as
 * graph nodes (class probabilities; or a regression's mean, spread and variance). Pure but for reading the
 * members' weights; the members are left as they are. Throws a UserError naming the first unsupported layer.
 */
export function ensembleOnnx(members: readonly tfl.LayersModel[], spec: OnnxEnsembleSpec): OnnxEnsemble {
  if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
  const { input, outputs, layout } = onnxInterface(spec);
  const g = new GraphBuilder();
  g.unique(input.name);
  const normalized = normalizedInput(g, input.name, spec.inputShape, spec.input, spec.normalization, layout);
  const memberOutputs = members.map((m, i) => memberGraph(g, m, normalized, `member${i + 1}_`));
  const produced: string[] = [];
  const docs: Record<string, string> = {};
  if (spec.head.task === 'classification') {
    produced.push(classificationHead(g, memberOutputs, spec.head.combine));
    docs['probabilities'] = `the ensemble's class probabilities (${spec.head.combine === 'mean' ? "mean of the members' softmax outputs" : 'softmax of the mean logits'}), classes in the order of metadata class_names`;
  } else {
    const r = regressionHead(g, memberOutputs, spec.head.target, spec.head.noiseVariances);
    produced.push(r.mean, r.spread);
    docs['mean'] = "the ensemble's prediction: the mean of the members' predictions, in the target's units";
    docs['spread'] = "the members' standard deviation around that mean";
    if (r.variance !== null) {
      produced.push(r.variance);
      docs['variance'] = "the predictive variance: the members' mean noise variance plus spread^2 (the Gaussian of evaluate's NLL)";
    }
  }
  if (produced.join() !== outputs.map((o) => o.name).join()) throw new Error(`the graph computes ${produced.join(', ')}, not ${outputs.map((o) => o.name).join(', ')}`);
  const storage = spec.weights ?? 'float32';
  const stored = storeWeights(g, g.weights, storage);
  const inputDoc =
    spec.input.kind === 'pixels'
      ? `raw pixel values in [${spec.input.range.join(', ')}], ${layout === 'nchw' ? 'N x C x H x W' : 'N x H x W x C'}, float32`
      : 'raw feature values, one row per example, in the order of the training table, float32';
  const model: ModelObject = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'snapshot-ensembles',
    producer_version: producerVersion(),
    doc_string: spec.doc ?? '',
    graph: {
      name: spec.name ?? `ensemble_of_${members.length}`,
      node: [...stored.nodes, ...g.nodes],
      initializer: [...stored.initializers, ...g.constants],
      input: [valueInfo(input.name, DataType.FLOAT, input.shape, inputDoc)],
      output: outputs.map((o) => valueInfo(o.name, DataType.FLOAT, o.shape, docs[o.name])),
    },
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return {
    bytes: encodeModel(model),
    input,
    outputs,
    opset: ONNX_OPSET,
    nodes: model.graph.node.length,
    weights: { storage, storedBytes: stored.storedBytes, float32Bytes: stored.float32Bytes },
  };
}
