import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { FileSystemHandler } from '../io/fileSystemHandler.js';
import { firstLine, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';


/** Whether --model names a file (a TF.js layers model.json) rather than one of our architectures. */
export function isModelFile(name: string): boolean {
  return name.toLowerCase().endsWith('.json');
}

/** Loads a TF.js layers model (model.json and the weight files it lists, e.g. from tensorflowjs_converter or model.save). */
export async function loadUserModel(file: string): Promise<tfl.LayersModel> {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  try {
    return await tfl.loadLayersModel(new FileSystemHandler(path.dirname(file), path.basename(file)));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: cannot load a TF.js layers model (${firstLine(e)})`);
  }
}

/** Gives every initialiser in a serialised model (Keras JSON) a seed drawn from rng. */
function seedInitializers(node: unknown, rng: Rng): void {
  if (Array.isArray(node)) {
    node.forEach((n) => seedInitializers(n, rng));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key.endsWith('_initializer') && value !== null && typeof value === 'object') {
      const init = value as { config?: Record<string, unknown> };
      if (init.config !== undefined && 'seed' in init.config) init.config['seed'] = rng.nextUint32();
    }
    seedInitializers(value, rng);
  }
}

/**
 * The same architecture with every layer re-initialised by its own initialiser, each seeded from `seed`: a fresh
 * start that the seed reproduces. The given model is left as it is.
 */
export async function reinitialized(model: tfl.LayersModel, seed: number): Promise<tfl.LayersModel> {
  const topology = JSON.parse(model.toJSON(null, true) as string) as object;
  seedInitializers(topology, new Rng(seed));
  return tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
}

/** What a model outputs: logits (a softmax is applied to them) or class probabilities (used as they are). */
export type ModelOutputs = 'logits' | 'probabilities';

/** The layer that makes a model's (first) output. */
function outputLayer(model: tfl.LayersModel): tfl.layers.Layer | undefined {
  return model.outputs[0]?.sourceLayer ?? model.layers.at(-1);
}

/**
 * 'probabilities' when the model's output layer ends in a softmax (a layer with activation 'softmax', or a Softmax
 * layer), else 'logits'.
 */
export function modelOutputs(model: tfl.LayersModel): ModelOutputs {
  const layer = outputLayer(model);
  if (layer === undefined) return 'logits';
  const { activation } = layer.getConfig() as { activation?: unknown };
  return layer.getClassName() === 'Softmax' || activation === 'softmax' ? 'probabilities' : 'logits';
}

/**
 * The same model without the softmax its output layer applies (training takes the cross-entropy of logits, and
 * a softmax before it would train to nothing useful): that layer's activation becomes linear, a Softmax layer the
 * identity; the weights are copied. Null when the model already outputs logits. The given model is left as it is.
 */
export async function withLogitsOutput(model: tfl.LayersModel): Promise<{ model: tfl.LayersModel; layer: string } | null> {
  if (modelOutputs(model) === 'logits') return null;
  const name = outputLayer(model)!.name;
  const topology = JSON.parse(model.toJSON(null, true) as string) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  for (const layer of topology.config.layers) {
    if (layer.config['name'] !== name) continue;
    if (layer.class_name === 'Softmax') layer.class_name = 'Activation';
    layer.config['activation'] = 'linear';
    delete layer.config['axis'];
  }
  const logits = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  logits.setWeights(model.getWeights());
  return { model: logits, layer: name };
}

/**
 * Checks that a user's model fits the data: one input whose shape (batch axis aside; free axes match anything)
 * is the examples' shape, and one output of `outputs` units that are logits (or the regression's value), not
 * probabilities. Throws a one-line error naming `name`.
 */
export function checkUserModel(model: tfl.LayersModel, exampleShape: readonly number[], outputs: number, name: string): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(`${name}: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; snapshot-ensembles trains models with one of each`);
  }
  const input = model.inputs[0]!.shape.slice(1);
  const fits = input.length === exampleShape.length && input.every((d, i) => d === null || d === exampleShape[i]);
  if (!fits) {
    throw new UserError(`${name}: the model takes inputs of shape [${input.map((d) => d ?? 'any').join(', ')}] but the data's examples are [${exampleShape.join(', ')}]`);
  }
  const output = model.outputs[0]!.shape;
  if (output.length !== 2 || output[1] !== outputs) {
    throw new UserError(`${name}: the model's output has shape [${output.slice(1).map((d) => d ?? 'any').join(', ')}] but the data needs [${outputs}] (${outputs === 1 ? 'one value' : `${outputs} classes`})`);
  }
  if (modelOutputs(model) === 'probabilities') {
    throw new UserError(`${name}: the output layer applies a softmax; give a model that outputs logits (snapshot-ensembles applies the softmax)`);
  }
  const last = outputLayer(model)!.getConfig();
  if (last['activation'] === 'sigmoid') {
    throw new UserError(`${name}: the output layer applies a sigmoid; give a model that outputs logits (or, for regression, the value itself)`);
  }
}
