import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnFolds, isSimpleGraph, producers } from '../../models/foldedInference.js';
import { UserError } from '../../util/errors.js';
import type { GraphBuilder, Value } from './graph.js';
import { outputShape } from './converter.js';
import { convNode } from './convolution.js';
import { converterFor } from './layers.js';

/**
 * A Sequential model (a user's model.json saved from tf.sequential or Keras) as the functional model of the same
 * layers: TF.js's Sequential lists no input layer of its own.
 */
function functional(model: tfl.LayersModel): tfl.LayersModel {
  return model.inputLayers.length === 0 && model.inputs.length === 1 ? tfl.model({ inputs: model.inputs, outputs: model.outputs, name: model.name }) : model;
}

/**
 * One member's inference graph as ONNX nodes reading `input`, its names prefixed with `prefix`: every convolution
 * that feeds a batch norm alone is one Conv with the folded filter and bias (convBnFolds, as `evaluate` runs it),
 * the ReLU after it kept as its own node (ONNX Runtime fuses Conv + Relu); dropout is the identity; every other
 * layer goes through its converter. Returns the member's output (logits, or a regression's value), channels last.
 */
export function memberGraph(g: GraphBuilder, given: tfl.LayersModel, input: Value, prefix: string): Value {
  const model = functional(given);
  if (!isSimpleGraph(model)) throw new UserError(`export --format onnx: model '${model.name}' has several inputs or outputs or a shared layer; the exporter takes one input, one output, each layer applied once`);
  const folds = convBnFolds(model);
  try {
    const foldedConvs = new Set([...folds.values()].map((f) => f.conv.name));
    const outputs = new Map<string, Value>();
    const inputName = model.inputLayers[0]!.name;
    outputs.set(inputName, input);
    for (const layer of model.layers) {
      if (layer.name === inputName || foldedConvs.has(layer.name)) continue;
      const name = prefix + layer.name;
      const fold = folds.get(layer.name);
      let y: Value;
      if (fold !== undefined) {
        const source = outputs.get(producers(fold.conv)[0]!.name)!;
        const filter = { values: Float32Array.from(fold.filter.dataSync()), shape: fold.filter.shape, depthwise: false };
        const conv = convNode(g, fold.conv, prefix + fold.conv.name, source, filter, Float32Array.from(fold.bias.dataSync()), fold.config);
        y = { ...conv, shape: outputShape(layer) };
      } else {
        y = converterFor(layer)(layer, { g, name, inputs: producers(layer).map((p) => outputs.get(p.name)!) });
      }
      outputs.set(layer.name, y);
    }
    // The ReLU that foldedInference fuses into a folded convolution stays its own node here (Relu after Conv).
    return g.channelsLast(outputs.get(model.outputLayers[0]!.name)!);
  } finally {
    for (const f of folds.values()) tf.dispose([f.filter, f.bias]);
  }
}
