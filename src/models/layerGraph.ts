import type * as tfl from '@tensorflow/tfjs-layers';

/** A layer of a layers model. */
export type Layer = tfl.layers.Layer;

/** The fields of a Conv2D layer's config that folding and compiling read. */
export interface ConvConfig {
  strides: number[] | number;
  padding: 'same' | 'valid';
  dilationRate: number[] | number;
  activation: string;
  useBias: boolean;
  dataFormat: string;
}

/** A model with one input, one output and every layer applied once: the graphs convBnFolds and its users walk. */
export function isSimpleGraph(model: tfl.LayersModel): boolean {
  return model.inputLayers.length === 1 && model.outputLayers.length === 1 && model.layers.every((l) => l.inboundNodes.length === 1);
}

/** The layers whose outputs feed a layer (its first call's inputs). */
export const producers = (layer: Layer): Layer[] => layer.inboundNodes[0]?.inboundLayers ?? [];
