import type { Layer } from '../../models/foldedInference.js';
import { only, unsupported, type Converter } from './converter.js';
import { attr, type GraphBuilder, type Value } from './graph.js';
import type { AttributeObject } from './protobuf.js';

/** Activation functions, as a layer's own `activation` or as layers (Activation, ReLU, LeakyReLU, ELU, Softmax). */

/** Softmax over TF's `axis` (negative from the end, counting the batch axis). */
function softmaxNode(g: GraphBuilder, name: string, x: Value, axis: number): Value {
  const v = g.channelsLast(x);
  const rank = v.shape.length + 1;
  const a = axis < 0 ? rank + axis : axis;
  return { name: g.node('Softmax', [v.name], name, [attr.int('axis', a)]), shape: v.shape, channelsFirst: false };
}

/** ONNX nodes for a TF.js activation function by its serialised name. */
export function activationNode(g: GraphBuilder, layer: Layer, name: string, x: Value, activation: string): Value {
  const unary = (op: string, input = x.name, out = name, attributes: AttributeObject[] = []) => g.node(op, [input], out, attributes);
  const same = (node: string): Value => ({ ...x, name: node });
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return same(unary('Relu'));
    case 'relu6':
      return same(g.node('Clip', [x.name, g.floats(`${name}_min`, [0], []), g.floats(`${name}_max`, [6], [])], name));
    case 'sigmoid':
      return same(unary('Sigmoid'));
    case 'tanh':
      return same(unary('Tanh'));
    case 'softplus':
      return same(unary('Softplus'));
    case 'softsign':
      return same(unary('Softsign'));
    case 'elu':
      return same(unary('Elu', x.name, name, [attr.float('alpha', 1)]));
    case 'selu':
      return same(unary('Selu'));
    case 'hardSigmoid':
      // TF.js: clip(0.2 x + 0.5, 0, 1)
      return same(unary('HardSigmoid', x.name, name, [attr.float('alpha', 0.2), attr.float('beta', 0.5)]));
    case 'swish':
      return same(g.node('Mul', [x.name, unary('Sigmoid', x.name, `${name}_sigmoid`)], name));
    case 'mish':
      return same(g.node('Mul', [x.name, unary('Tanh', unary('Softplus', x.name, `${name}_softplus`), `${name}_tanh`)], name));
    case 'softmax':
      return softmaxNode(g, name, x, -1);
    case 'logSoftmax': {
      const v = g.channelsLast(x);
      return { name: g.node('LogSoftmax', [v.name], name, [attr.int('axis', -1)]), shape: v.shape, channelsFirst: false };
    }
    default:
      throw unsupported(layer, `activation '${activation}'`);
  }
}

/** A layer's own activation (Conv2D, Dense...) after its main node. */
export function withActivation(g: GraphBuilder, layer: Layer, name: string, y: Value): Value {
  const activation = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
  return activationNode(g, layer, `${name}_${activation}`, y, activation);
}

export const activation: Converter = (layer, x) => activationNode(x.g, layer, x.name, only(x), (layer.getConfig() as { activation: string }).activation);

export const relu: Converter = (layer, x) => {
  const { maxValue } = layer.getConfig() as { maxValue?: number | null };
  const v = only(x);
  if (maxValue === null || maxValue === undefined) return { ...v, name: x.g.node('Relu', [v.name], x.name) };
  return { ...v, name: x.g.node('Clip', [v.name, x.g.floats(`${x.name}_min`, [0], []), x.g.floats(`${x.name}_max`, [maxValue], [])], x.name) };
};

export const leakyRelu: Converter = (layer, x) => {
  const { alpha } = layer.getConfig() as { alpha?: number };
  const v = only(x);
  return { ...v, name: x.g.node('LeakyRelu', [v.name], x.name, [attr.float('alpha', alpha ?? 0.3)]) };
};

export const elu: Converter = (layer, x) => {
  const { alpha } = layer.getConfig() as { alpha?: number };
  const v = only(x);
  return { ...v, name: x.g.node('Elu', [v.name], x.name, [attr.float('alpha', alpha ?? 1)]) };
};

export const softmaxLayer: Converter = (layer, x) => {
  const { axis } = layer.getConfig() as { axis?: number | number[] };
  if (Array.isArray(axis) && axis.length !== 1) throw unsupported(layer, `axes [${axis.join(', ')}]`);
  return softmaxNode(x.g, x.name, only(x), Array.isArray(axis) ? axis[0]! : (axis ?? 1));
};
