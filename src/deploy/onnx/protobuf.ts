import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

/**
 * Writing and reading .onnx files: ONNX's own schema (onnx.proto, vendored beside this file) read by protobufjs,
 * and the plain objects of the part of it the exporter fills in. Field names are the schema's (keepCase).
 */

/** ONNX TensorProto.DataType values the exporter uses. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export interface TensorObject {
  name: string;
  dims: number[];
  data_type: DataTypeCode;
  /** The values, little-endian, as ONNX stores raw_data. */
  raw_data: Uint8Array;
}

/** ONNX AttributeProto.AttributeType values the exporter uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export interface AttributeObject {
  name: string;
  type: (typeof AttributeType)[keyof typeof AttributeType];
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
}

export interface NodeObject {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeObject[];
  doc_string?: string;
}

/** A tensor's dimension: a size, or a name for a size known only at run time (the batch). */
export type Dim = number | string;

export interface ValueInfoObject {
  name: string;
  doc_string?: string;
  type: { tensor_type: { elem_type: DataTypeCode; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

export interface GraphObject {
  name: string;
  node: NodeObject[];
  initializer: TensorObject[];
  input: ValueInfoObject[];
  output: ValueInfoObject[];
  doc_string?: string;
}

export interface ModelObject {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string: string;
  graph: GraphObject;
  metadata_props: { key: string; value: string }[];
}

/**
 * The package root seen from this module: src/deploy/onnx/ in the sources, dist/deploy/onnx/ once built, both three
 * levels down. tsc does not copy .proto files, so the schema is read where it lies in the sources (package.json's
 * `files` ships it).
 */
const SCHEMA = new URL('../../../src/deploy/onnx/onnx.proto', import.meta.url);

let modelType: protobuf.Type | undefined;

/** onnx.ModelProto from the vendored schema, parsed once. */
function modelProto(): protobuf.Type {
  // protobufjs is loaded with the first ONNX file written or read, not with the package
  const { parse } = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  modelType ??= parse(readFileSync(SCHEMA, 'utf8'), { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** A tensor's shape as ValueInfoProto holds it. */
export function valueInfo(name: string, elemType: DataTypeCode, dims: readonly Dim[], doc?: string): ValueInfoObject {
  return {
    name,
    ...(doc === undefined ? {} : { doc_string: doc }),
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

/** The bytes of a .onnx file holding `model`; throws when the object does not fit the schema. */
export function encodeModel(model: ModelObject): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem !== null) throw new Error(`the ONNX model does not fit onnx.proto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** A .onnx file read back as a plain object (int64 fields as numbers, enums as numbers). */
export function decodeModel(bytes: Uint8Array): ModelObject {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as ModelObject;
}
