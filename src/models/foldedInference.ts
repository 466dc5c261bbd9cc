import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compiledInference } from '../backend/inferenceForward.js';
import type { BatchNormalizationFields } from './batchNorm.js';
import { isSimpleGraph, producers, type ConvConfig, type Layer } from './layerGraph.js';
import { trainingGraph } from './trainingGraph.js';

export { isSimpleGraph, producers, type ConvConfig, type Layer } from './layerGraph.js';

/** A model's inference forward pass, with the tensors it prepared; call dispose() when done. */
export interface InferenceForward {
  (x: tf.Tensor): tf.Tensor;
  dispose(): void;
  /** Convolution + batch-norm pairs folded into one fused convolution. */
  readonly folded: number;
  /** How it runs: the backend's compiled program, or TF.js's ops layer by layer. */
  readonly engine: 'program' | 'ops';
}

type BnFields = Omit<BatchNormalizationFields, 'momentum'>;

const consumers = (layer: Layer): Layer[] => layer.outboundNodes.map((n) => n.outboundLayer);
function isRelu(layer: Layer): boolean {
  const name = layer.getClassName();
  const config = layer.getConfig() as { maxValue?: number | null; activation?: string };
  return (name === 'ReLU' && (config.maxValue === null || config.maxValue === undefined)) || (name === 'Activation' && config.activation === 'relu');
}

/** A Conv2D read only by a channels-last BatchNormalization with scale and offset: the pair that folds. */
function foldableConv(bn: Layer): Layer | null {
  if (bn.getClassName() !== 'BatchNormalization') return null;
  const f = bn as unknown as BnFields;
  const inputs = producers(bn);
  if (inputs.length !== 1 || !f.center || !f.scale) return null;
  const conv = inputs[0]!;
  if (conv.getClassName() !== 'Conv2D' || consumers(conv).length !== 1 || conv.inboundNodes.length !== 1) return null;
  const c = conv.getConfig() as unknown as ConvConfig;
  const rank = (conv.outputShape as number[]).length;
  if (c.activation !== 'linear' || c.dataFormat !== 'channelsLast' || !(f.axis === -1 || f.axis === rank - 1)) return null;
  return conv;
}

/** A convolution and the batch norm that reads it, folded: filter W s and bias beta - mean s (+ conv bias x s). */
export interface ConvBnFold {
  conv: Layer;
  bn: Layer;
  /** The ReLU after the batch norm, fused into the folded convolution; null when there is none. */
  relu: Layer | null;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  config: ConvConfig;
}

/**
 * Every convolution of a model that feeds a batch-norm layer alone, folded with it (exact in inference mode:
 * conv(x, W) s + beta - mean s = conv(x, W s) + beta - mean s, s = gamma / sqrt(var + eps)), with the ReLU after
 * it when there is one. Keyed by the batch-norm layer's name; the caller disposes the filters and biases.
 */
export function convBnFolds(model: tfl.LayersModel): Map<string, ConvBnFold> {
  const folds = new Map<string, ConvBnFold>();
  for (const layer of model.layers) {
    const conv = layer.inboundNodes.length === 1 ? foldableConv(layer) : null;
    if (conv === null) continue;
    const next = consumers(layer);
    const relu = next.length === 1 && isRelu(next[0]!) && next[0]!.inboundNodes.length === 1 ? next[0]! : null;
    const f = layer as unknown as BnFields;
    const config = conv.getConfig() as unknown as ConvConfig;
    const [kernel, convBias] = conv.getWeights();
    const { filter, bias } = tf.tidy(() => {
      const s = tf.div(f.gamma.read(), tf.sqrt(tf.add(f.movingVariance.read(), f.epsilon)));
      let b = tf.sub(f.beta.read(), tf.mul(f.movingMean.read(), s));
      if (config.useBias && convBias !== undefined) b = tf.add(b, tf.mul(convBias, s));
      return { filter: tf.mul(kernel!, s) as tf.Tensor4D, bias: b as tf.Tensor1D };
    });
    folds.set(layer.name, { conv, bn: layer, relu, filter, bias, config });
  }
  return folds;
}

/**
 * The forward pass in inference mode: the active backend's compiled pass of the model when it has one (the native
 * backend's is one program, folded as below, with every other batch norm a per-channel scale and shift), else TF.js's
 * ops with every convolution that feeds a batch-norm layer folded into it, and the
 * ReLU after it fused in: relu(conv(x, W s) + beta - mean s), s = gamma / sqrt(var + eps), one FusedConv2D kernel
 * instead of a convolution, a batch norm and a ReLU. Other layers run as they are. For models applied once each
 * (as ours are), with the layers in model.layers' topological order.
 */
export function foldedInference(model: tfl.LayersModel): InferenceForward {
  const compiled = compiledInference(model, () => trainingGraph(model, 'inference'));
  if (compiled !== null) return Object.defineProperty(compiled, 'engine', { value: 'program' }) as InferenceForward;
  if (!isSimpleGraph(model)) {
    // Shared layers or several inputs or outputs: no folding, the model's own predict.
    const plain = ((x: tf.Tensor) => model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor) as InferenceForward;
    Object.defineProperties(plain, { folded: { value: 0 }, engine: { value: 'ops' } });
    plain.dispose = () => {};
    return plain;
  }
  const prepared = convBnFolds(model);
  const convs = new Set([...prepared.values()].map((f) => f.conv.name));
  const passThrough = new Set([...prepared.values()].flatMap((f) => (f.relu === null ? [] : [f.relu.name])));
  const inputName = model.inputLayers[0]!.name;
  const outputName = model.outputLayers[0]!.name;
  /** What each computed layer reads: a folded batch norm reads its convolution's input. */
  const reads = new Map<string, string[]>();
  for (const layer of model.layers) {
    if (layer.name === inputName || convs.has(layer.name)) continue;
    const fold = prepared.get(layer.name);
    reads.set(layer.name, fold !== undefined ? [producers(producers(layer)[0]!)[0]!.name] : producers(layer).map((p) => p.name));
  }
  /** The last layer that reads each output: after it, the output is freed (DenseNet's concatenations would else all live until the end). */
  const lastRead = new Map<string, string>();
  for (const [name, names] of reads) for (const n of names) lastRead.set(n, name);
  const forward = ((x: tf.Tensor) =>
    tf.tidy(() => {
      const outputs = new Map<string, tf.Tensor>();
      /** How many names refer to each live tensor (a folded ReLU, or a layer that returns its input, adds a name). */
      const refs = new Map<tf.Tensor, number>();
      const set = (name: string, t: tf.Tensor) => {
        outputs.set(name, t);
        refs.set(t, (refs.get(t) ?? 0) + 1);
      };
      const release = (name: string) => {
        const t = outputs.get(name)!;
        outputs.delete(name);
        const left = refs.get(t)! - 1;
        refs.set(t, left);
        if (left === 0 && t !== x) t.dispose();
      };
      set(inputName, x);
      for (const layer of model.layers) {
        const names = reads.get(layer.name);
        if (names === undefined) continue;
        const fold = prepared.get(layer.name);
        let y: tf.Tensor;
        if (fold !== undefined) {
          const { strides, padding, dilationRate } = fold.config;
          y = tf.fused.conv2d({
            x: outputs.get(names[0]!)! as tf.Tensor4D,
            filter: fold.filter,
            strides: strides as [number, number],
            pad: padding,
            dilations: dilationRate as [number, number],
            bias: fold.bias,
            activation: fold.relu === null ? 'linear' : 'relu',
          });
        } else {
          const inputs = names.map((n) => outputs.get(n)!);
          y = passThrough.has(layer.name) ? inputs[0]! : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor);
        }
        set(layer.name, y);
        for (const n of new Set(names)) if (lastRead.get(n) === layer.name && n !== outputName) release(n);
      }
      return outputs.get(outputName)!;
    })) as InferenceForward;
  Object.defineProperties(forward, { folded: { value: prepared.size }, engine: { value: 'ops' } });
  forward.dispose = () => {
    for (const p of prepared.values()) tf.dispose([p.filter, p.bias]);
    prepared.clear();
  };
  return forward;
}
