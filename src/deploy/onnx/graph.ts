import { endianness } from 'node:os';
import { AttributeType, DataType, type AttributeObject, type NodeObject, type TensorObject } from './protobuf.js';

/**
 * A value of the graph being built: its name, its shape per example as TF.js gives it (channels last), and whether
 * the graph holds it channels first. ONNX's Conv and pooling take N x C x H x W, so image tensors live channels
 * first between them and are transposed back only where a layer needs TF's order (Flatten, Dense, a softmax).
 */
export interface Value {
  name: string;
  /** The shape without the batch axis, in TF.js's order (H, W, C for images); null for a size known only at run time. */
  shape: readonly (number | null)[];
  channelsFirst: boolean;
}

/** NHWC -> NCHW and back, as Transpose permutations. */
export const TO_CHANNELS_FIRST = [0, 3, 1, 2];
export const TO_CHANNELS_LAST = [0, 2, 3, 1];

/** Attributes of a node, by kind. */
export const attr = {
  int: (name: string, i: number): AttributeObject => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: readonly number[]): AttributeObject => ({ name, type: AttributeType.INTS, ints: [...ints] }),
  float: (name: string, f: number): AttributeObject => ({ name, type: AttributeType.FLOAT, f }),
};

/** The bytes of typed values, little-endian as ONNX's raw_data is on every machine. */
export function littleEndian(values: Float32Array | BigInt64Array | Uint16Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else if (values instanceof Uint16Array) values.forEach((v, i) => view.setUint16(2 * i, v, true));
  else values.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return bytes;
}

/** A float initializer that quantisation may store in fewer bits: the weight matrices and filters. */
export interface FloatWeight {
  name: string;
  values: Float32Array;
  dims: number[];
}

/**
 * Nodes and initializers of one ONNX graph, added in topological order, with names made unique. Float weights
 * are kept apart from the other initializers until `initializers()` so that quantisation can replace them.
 */
export class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  /** Initializers other than the float weights. */
  readonly constants: TensorObject[] = [];
  readonly weights: FloatWeight[] = [];
  private readonly names = new Set<string>();
  private readonly transposed = new Map<string, Value>();

  /** `name`, or name_2, name_3... when taken. */
  unique(name: string): string {
    let candidate = name;
    for (let k = 2; this.names.has(candidate); k++) candidate = `${name}_${k}`;
    this.names.add(candidate);
    return candidate;
  }

  /** A float32 weight (a filter or a weight matrix), which --quantize stores in fewer bits. */
  weight(name: string, values: Float32Array, dims: readonly number[]): string {
    const unique = this.unique(name);
    this.weights.push({ name: unique, values, dims: [...dims] });
    return unique;
  }

  /** A float32 constant kept at full precision (biases, batch-norm statistics, normalisation). */
  floats(name: string, values: Float32Array | readonly number[], dims: readonly number[]): string {
    const unique = this.unique(name);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.constants.push({ name: unique, dims: [...dims], data_type: DataType.FLOAT, raw_data: littleEndian(data) });
    return unique;
  }

  /** An int64 vector constant (shapes, axes). */
  int64s(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.constants.push({ name: unique, dims: [values.length], data_type: DataType.INT64, raw_data: littleEndian(BigInt64Array.from(values.map(BigInt))) });
    return unique;
  }

  /** Adds a node and returns the name of its (first) output, `output` made unique. */
  node(op: string, inputs: readonly string[], output: string, attributes: AttributeObject[] = []): string {
    const name = this.unique(output);
    this.nodes.push({ name, op_type: op, input: [...inputs], output: [name], attribute: attributes });
    return name;
  }

  /** The value in TF.js's channels-last order (one Transpose, shared by every reader). */
  channelsLast(v: Value): Value {
    if (!v.channelsFirst) return v;
    return this.transposeOnce(v, `${v.name}_nhwc`, TO_CHANNELS_LAST, false);
  }

  /** An image value (H, W, C) channels first, as ONNX's Conv and pooling take it. */
  channelsFirst(v: Value): Value {
    if (v.channelsFirst) return v;
    if (v.shape.length !== 3) throw new Error(`${v.name}: only H x W x C values can be held channels first, not [${v.shape.join(', ')}]`);
    return this.transposeOnce(v, `${v.name}_nchw`, TO_CHANNELS_FIRST, true);
  }

  private transposeOnce(v: Value, name: string, perm: number[], channelsFirst: boolean): Value {
    const key = `${v.name}:${channelsFirst}`;
    const cached = this.transposed.get(key);
    if (cached !== undefined) return cached;
    const out = { name: this.node('Transpose', [v.name], name, [attr.ints('perm', perm)]), shape: v.shape, channelsFirst };
    this.transposed.set(key, out);
    return out;
  }
}
