import { Float16Array } from '@petamoriken/float16';
import { affineUint8Range, quantizeUint8 } from '../quantize.js';
import { attr, littleEndian, type FloatWeight, type GraphBuilder } from './graph.js';
import { DataType, type NodeObject, type TensorObject } from './protobuf.js';

/**
 * How the exported file stores its weight matrices and filters: float32, or weight-only quantised in the ONNX way,
 * each weight an initializer of fewer bits and one node that gives the float32 tensor back before its first use.
 * Biases, batch-norm statistics and normalisation constants stay float32 (they are small and sensitive).
 */
export type OnnxWeightStorage = 'float32' | 'float16' | 'uint8';

export interface StoredWeights {
  initializers: TensorObject[];
  /** DequantizeLinear or Cast nodes, to run before every other node. */
  nodes: NodeObject[];
  /** Bytes of the weights as stored, and as float32. */
  storedBytes: number;
  float32Bytes: number;
}

/**
 * uint8: per tensor, the affine map of TF.js's uint8 weight quantisation (affineUint8Range: the range widened to
 * include 0 and nudged so 0 is exact), written as DequantizeLinear(q, scale, zero_point) = (q - zero_point) scale
 * with zero_point = -min / scale. float16: a FLOAT16 initializer and Cast to float.
 */
export function storeWeights(g: GraphBuilder, weights: readonly FloatWeight[], storage: OnnxWeightStorage): StoredWeights {
  const float32Bytes = weights.reduce((n, w) => n + 4 * w.values.length, 0);
  const initializers: TensorObject[] = [];
  const nodes: NodeObject[] = [];
  let storedBytes = 0;
  for (const w of weights) {
    if (storage === 'float32') {
      initializers.push({ name: w.name, dims: w.dims, data_type: DataType.FLOAT, raw_data: littleEndian(w.values) });
      storedBytes += 4 * w.values.length;
    } else if (storage === 'float16') {
      const half = new Float16Array(w.values);
      const bits = new Uint16Array(half.buffer, half.byteOffset, half.length);
      const stored = g.unique(`${w.name}_float16`);
      initializers.push({ name: stored, dims: w.dims, data_type: DataType.FLOAT16, raw_data: littleEndian(bits) });
      nodes.push({ name: `${w.name}_cast`, op_type: 'Cast', input: [stored], output: [w.name], attribute: [attr.int('to', DataType.FLOAT)] });
      storedBytes += 2 * w.values.length;
    } else {
      const { scale, min } = affineUint8Range(w.values);
      const zeroPoint = Math.round(-min / scale);
      const q = g.unique(`${w.name}_quantized`);
      const s = g.unique(`${w.name}_scale`);
      const z = g.unique(`${w.name}_zero_point`);
      initializers.push(
        { name: q, dims: w.dims, data_type: DataType.UINT8, raw_data: quantizeUint8(w.values, scale, min) },
        { name: s, dims: [], data_type: DataType.FLOAT, raw_data: littleEndian(Float32Array.of(scale)) },
        { name: z, dims: [], data_type: DataType.UINT8, raw_data: Uint8Array.of(zeroPoint) },
      );
      nodes.push({ name: `${w.name}_dequantize`, op_type: 'DequantizeLinear', input: [q, s, z], output: [w.name], attribute: [] });
      storedBytes += w.values.length;
    }
  }
  return { initializers, nodes, storedBytes, float32Bytes };
}
