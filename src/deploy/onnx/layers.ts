import type { BatchNormalizationFields } from '../../models/batchNorm.js';
import type { Layer } from '../../models/foldedInference.js';
import { UserError } from '../../util/errors.js';
import { activation, elu, leakyRelu, relu, softmaxLayer, withActivation } from './activations.js';
import { only, outputShape, unsupported, values, type Converter, type LayerInput } from './converter.js';
import { conv2d, depthwiseConv2d, globalPool, pool, separableConv2d, zeroPadding2d } from './convolution.js';
import { attr, type Value } from './graph.js';

/**
 * One converter per TF.js layer class (the table below): the layer's inference computation as ONNX nodes. Image
 * values are held channels first between convolutions and pools (GraphBuilder.channelsFirst); every converter says
 * which order it returns. A layer with no converter, or with a setting none of them handles, is a one-line UserError
 * naming it. Dense, batch norm, shape and merge layers are here; convolutions and pools in convolution.ts,
 * activations in activations.ts.
 */

const dropoutLike: Converter = (_layer, x) => only(x);

const dense: Converter = (layer, x) => {
  const config = layer.getConfig() as { useBias: boolean };
  const [kernel, bias] = layer.getWeights();
  const [units] = kernel!.shape.slice(-1);
  const v = x.g.channelsLast(only(x));
  const w = x.g.weight(`${x.name}_weight`, values(kernel!), kernel!.shape);
  const b = config.useBias ? x.g.floats(`${x.name}_bias`, values(bias!), [units!]) : null;
  let y: string;
  if (v.shape.length === 1) y = x.g.node('Gemm', b === null ? [v.name, w] : [v.name, w, b], x.name);
  else {
    // Dense on a higher-rank value acts on its last axis.
    const product = x.g.node('MatMul', [v.name, w], b === null ? x.name : `${x.name}_matmul`);
    y = b === null ? product : x.g.node('Add', [product, b], x.name);
  }
  return withActivation(x.g, layer, x.name, { name: y, shape: outputShape(layer), channelsFirst: false });
};

/** Batch norm in inference mode over the last (channel) axis: ONNX BatchNormalization, channel axis 1. */
const batchNorm: Converter = (layer, x) => {
  const f = layer as unknown as BatchNormalizationFields;
  const v = only(x);
  const rank = v.shape.length + 1;
  if (!(f.axis === -1 || f.axis === rank - 1)) throw unsupported(layer, `axis ${f.axis}`);
  if (rank !== 2 && rank !== 4) throw unsupported(layer, `an input of rank ${rank}`);
  const input = rank === 4 ? x.g.channelsFirst(v) : v;
  const mean = values(f.movingMean.read());
  const c = mean.length;
  const inputs = [
    input.name,
    x.g.floats(`${x.name}_scale`, f.scale ? values(f.gamma.read()) : new Float32Array(c).fill(1), [c]),
    x.g.floats(`${x.name}_offset`, f.center ? values(f.beta.read()) : new Float32Array(c), [c]),
    x.g.floats(`${x.name}_mean`, mean, [c]),
    x.g.floats(`${x.name}_variance`, values(f.movingVariance.read()), [c]),
  ];
  return { name: x.g.node('BatchNormalization', inputs, x.name, [attr.float('epsilon', f.epsilon)]), shape: v.shape, channelsFirst: input.channelsFirst };
};

const flatten: Converter = (layer, x) => {
  const v = x.g.channelsLast(only(x));
  return { name: x.g.node('Flatten', [v.name], x.name, [attr.int('axis', 1)]), shape: outputShape(layer), channelsFirst: false };
};

const reshape: Converter = (layer, x) => {
  const { targetShape } = layer.getConfig() as { targetShape: number[] };
  const v = x.g.channelsLast(only(x));
  // 0 keeps the batch size; -1 is inferred, as in TF.js.
  const shape = x.g.int64s(`${x.name}_shape`, [0, ...targetShape.map((d) => (d === null ? -1 : d))]);
  return { name: x.g.node('Reshape', [v.name, shape], x.name), shape: outputShape(layer), channelsFirst: false };
};

const rescaling: Converter = (layer, x) => {
  const { scale, offset } = layer.getConfig() as { scale: number; offset: number };
  const v = only(x);
  const scaled = x.g.node('Mul', [v.name, x.g.floats(`${x.name}_scale`, [scale], [])], `${x.name}_scaled`);
  return { ...v, name: x.g.node('Add', [scaled, x.g.floats(`${x.name}_offset`, [offset], [])], x.name) };
};

/** The inputs of a merge layer in one order: channels first when all are images and one already is. */
function aligned(x: LayerInput): Value[] {
  const images = x.inputs.every((v) => v.shape.length === 3);
  const first = images && x.inputs.some((v) => v.channelsFirst);
  return x.inputs.map((v) => (first ? x.g.channelsFirst(v) : x.g.channelsLast(v)));
}

/** Add, Multiply, Maximum, Minimum, Average: one variadic ONNX node (Sum, Mean...) or a chain of binary ones. */
function merge(op: 'Sum' | 'Mean' | 'Max' | 'Min' | 'Mul'): Converter {
  return (layer, x) => {
    const inputs = aligned(x);
    const shape = outputShape(layer);
    const channelsFirst = inputs[0]!.channelsFirst;
    if (op !== 'Mul') return { name: x.g.node(op, inputs.map((v) => v.name), x.name), shape, channelsFirst };
    let product = inputs[0]!.name;
    for (let i = 1; i < inputs.length; i++) product = x.g.node('Mul', [product, inputs[i]!.name], i === inputs.length - 1 ? x.name : `${x.name}_${i}`);
    return { name: product, shape, channelsFirst };
  };
}

const concatenate: Converter = (layer, x) => {
  const { axis } = layer.getConfig() as { axis?: number };
  const inputs = aligned(x);
  const rank = inputs[0]!.shape.length + 1;
  const tfAxis = (axis ?? -1) < 0 ? rank + (axis ?? -1) : axis!;
  // TF's H, W, C (axes 1, 2, 3) are axes 2, 3, 1 channels first.
  const onnxAxis = inputs[0]!.channelsFirst ? [0, 2, 3, 1][tfAxis]! : tfAxis;
  return { name: x.g.node('Concat', inputs.map((v) => v.name), x.name, [attr.int('axis', onnxAxis)]), shape: outputShape(layer), channelsFirst: inputs[0]!.channelsFirst };
};

const CONVERTERS: Record<string, Converter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  Softmax: softmaxLayer,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  Rescaling: rescaling,
  ZeroPadding2D: zeroPadding2d,
  Add: merge('Sum'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Multiply: merge('Mul'),
  Concatenate: concatenate,
  // the identity in inference
  Dropout: dropoutLike,
  SpatialDropout1D: dropoutLike,
  GaussianNoise: dropoutLike,
  GaussianDropout: dropoutLike,
  AlphaDropout: dropoutLike,
};

/** The TF.js layer classes the exporter converts (and InputLayer). */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(CONVERTERS);

/** The converter for a layer, or a UserError naming it. */
export function converterFor(layer: Layer): Converter {
  const converter = CONVERTERS[layer.getClassName()];
  if (converter === undefined) {
    throw new UserError(`export --format onnx: layer '${layer.name}' (${layer.getClassName()}) is not supported; the ONNX exporter converts ${SUPPORTED_LAYERS.join(', ')}`);
  }
  return converter;
}
