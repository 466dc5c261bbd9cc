import type { Layer } from '../../models/foldedInference.js';
import { withActivation } from './activations.js';
import { only, outputShape, pair, unsupported, values, type Converter, type Pair } from './converter.js';
import { attr, type GraphBuilder, type Value } from './graph.js';
import { AttributeType, type AttributeObject } from './protobuf.js';

/**
 * Convolutions, pools and padding: ONNX's Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and Pad, all
 * on channels-first values, with TF's 'same' padding as explicit pads (the odd pixel at the end).
 */

function stringAttr(name: string, value: string): AttributeObject {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

/** TF's 'same' padding along one axis: the total is split with the odd pixel at the end (ONNX SAME_UPPER). */
export function samePads(size: number, kernel: number, stride: number, dilation: number): Pair {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** kernel_shape, strides, dilations and pads of a convolution or pool on a channels-first value. */
function windowAttributes(layer: Layer, x: Value, kernel: Pair, strides: Pair, padding: string, dilations: Pair | null): AttributeObject[] {
  const attributes = [attr.ints('kernel_shape', kernel), attr.ints('strides', strides)];
  if (dilations !== null) attributes.push(attr.ints('dilations', dilations));
  if (padding === 'same') {
    const [h, w] = x.shape;
    const d = dilations ?? [1, 1];
    if (h === null || w === null || h === undefined || w === undefined) attributes.push(stringAttr('auto_pad', 'SAME_UPPER'));
    else {
      const [top, bottom] = samePads(h, kernel[0], strides[0], d[0]);
      const [left, right] = samePads(w, kernel[1], strides[1], d[1]);
      attributes.push(attr.ints('pads', [top, left, bottom, right]));
    }
  } else if (padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
  return attributes;
}

/** A TF.js filter H x W x I x O as ONNX's O x I x H x W. */
export function hwioToOihw(kernel: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + y) * kw! + x] = kernel[((y * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/** A depthwise filter H x W x C x M as the grouped ONNX filter (C M) x 1 x H x W, output channel c M + m. */
function depthwiseToOihw(kernel: Float32Array, [kh, kw, c, m]: readonly number[]): Float32Array {
  return hwioToOihw(kernel, [kh!, kw!, 1, c! * m!]);
}

interface ConvSettings {
  strides: number | number[];
  padding: string;
  dilationRate: number | number[];
  dataFormat?: string;
}

function checkChannelsLast(layer: Layer, config: { dataFormat?: string }): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') throw unsupported(layer, `dataFormat '${config.dataFormat}'`);
}

/** An ONNX Conv of a TF.js filter (H x W x I x O, or depthwise H x W x C x M) and optional bias; channels first out. */
export function convNode(
  g: GraphBuilder,
  layer: Layer,
  name: string,
  x: Value,
  filter: { values: Float32Array; shape: readonly number[]; depthwise: boolean },
  bias: Float32Array | null,
  settings: ConvSettings,
): Value {
  checkChannelsLast(layer, settings);
  const input = g.channelsFirst(x);
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const outChannels = filter.depthwise ? ci * co : co;
  const weight = filter.depthwise
    ? g.weight(`${name}_weight`, depthwiseToOihw(filter.values, filter.shape), [outChannels, 1, kh, kw])
    : g.weight(`${name}_weight`, hwioToOihw(filter.values, filter.shape), [co, ci, kh, kw]);
  const inputs = [input.name, weight];
  if (bias !== null) inputs.push(g.floats(`${name}_bias`, bias, [bias.length]));
  const dilations = pair(settings.dilationRate);
  const attributes = windowAttributes(layer, input, [kh, kw], pair(settings.strides), settings.padding, dilations[0] === 1 && dilations[1] === 1 ? null : dilations);
  if (filter.depthwise) attributes.push(attr.int('group', ci));
  return { name: g.node('Conv', inputs, name, attributes), shape: outputShape(layer), channelsFirst: true };
}

export const conv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean; groups?: number };
  if ((config.groups ?? 1) !== 1) throw unsupported(layer, `groups ${config.groups}`);
  const [kernel, bias] = layer.getWeights();
  const y = convNode(x.g, layer, x.name, only(x), { values: values(kernel!), shape: kernel!.shape, depthwise: false }, config.useBias ? values(bias!) : null, config);
  return withActivation(x.g, layer, x.name, y);
};

export const depthwiseConv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean };
  const [kernel, bias] = layer.getWeights();
  const y = convNode(x.g, layer, x.name, only(x), { values: values(kernel!), shape: kernel!.shape, depthwise: true }, config.useBias ? values(bias!) : null, config);
  return withActivation(x.g, layer, x.name, y);
};

export const separableConv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean };
  const [depthwise, pointwise, bias] = layer.getWeights();
  const [kh, kw, c, m] = depthwise!.shape as number[];
  // The depthwise step alone, with the layer's strides and padding; its output shape is the layer's spatial size.
  const spatial = outputShape(layer);
  const first = convNode(x.g, layer, `${x.name}_depthwise`, only(x), { values: values(depthwise!), shape: [kh!, kw!, c!, m!], depthwise: true }, null, config);
  const mid: Value = { ...first, shape: [spatial[0]!, spatial[1]!, c! * m!] };
  const y = convNode(x.g, layer, x.name, mid, { values: values(pointwise!), shape: pointwise!.shape, depthwise: false }, config.useBias ? values(bias!) : null, {
    strides: 1,
    padding: 'valid',
    dilationRate: 1,
  });
  return withActivation(x.g, layer, x.name, y);
};

export function pool(op: 'MaxPool' | 'AveragePool'): Converter {
  return (layer, x) => {
    const config = layer.getConfig() as { poolSize: number | number[]; strides?: number | number[] | null; padding: string; dataFormat?: string };
    checkChannelsLast(layer, config);
    const input = x.g.channelsFirst(only(x));
    const size = pair(config.poolSize);
    const strides = config.strides === null || config.strides === undefined ? size : pair(config.strides);
    return { name: x.g.node(op, [input.name], x.name, windowAttributes(layer, input, size, strides, config.padding, null)), shape: outputShape(layer), channelsFirst: true };
  };
}

export function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter {
  return (layer, x) => {
    const config = layer.getConfig() as { dataFormat?: string; keepDims?: boolean };
    checkChannelsLast(layer, config);
    if (config.keepDims === true) throw unsupported(layer, 'keepDims');
    const input = x.g.channelsFirst(only(x));
    const pooled = x.g.node(op, [input.name], `${x.name}_pool`);
    // N x C x 1 x 1 -> N x C
    return { name: x.g.node('Flatten', [pooled], x.name, [attr.int('axis', 1)]), shape: outputShape(layer), channelsFirst: false };
  };
}

export const zeroPadding2d: Converter = (layer, x) => {
  const config = layer.getConfig() as { padding: number | [number, number] | [[number, number], [number, number]]; dataFormat?: string };
  checkChannelsLast(layer, config);
  const p = config.padding;
  const side = (v: number | readonly number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);
  const [[top, bottom], [left, right]] = typeof p === 'number' ? [side(p), side(p)] : [side(p[0]), side(p[1])];
  const input = x.g.channelsFirst(only(x));
  const pads = x.g.int64s(`${x.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return { name: x.g.node('Pad', [input.name, pads], x.name), shape: outputShape(layer), channelsFirst: true };
};
