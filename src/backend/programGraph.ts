import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * A model's training forward pass as a list of operations that a backend may compile into one program (the native
 * backend does: src/backend/native/program/), in the order of model.layers, which is topological. Each node's
 * `inputs` are indices of earlier nodes; `shape` is its output's shape without the batch axis. The variables are
 * the layers' own, read when the program runs. What a program computes must equal model.apply(x, { training: true })
 * for every node kind listed here; anything else (another layer, a shared layer, a regulariser, a frozen layer,
 * channels-first data) makes `trainingGraph` say why it does not describe the model, and the caller runs the model
 * as it is.
 */
export type TrainingNode = { name: string; inputs: number[]; shape: number[] } & (
  | { kind: 'input' }
  | {
      kind: 'conv';
      kernel: tfl.LayerVariable;
      bias: tfl.LayerVariable | null;
      strides: [number, number];
      padding: 'same' | 'valid';
      relu: boolean;
    }
  | {
      kind: 'batchNorm';
      gamma: tfl.LayerVariable;
      beta: tfl.LayerVariable;
      movingMean: tfl.LayerVariable;
      movingVariance: tfl.LayerVariable;
      epsilon: number;
      momentum: number;
    }
  | { kind: 'relu' }
  | { kind: 'add' }
  | { kind: 'concat' }
  | { kind: 'pool'; max: boolean; poolSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { kind: 'globalAveragePool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; kernel: tfl.LayerVariable; bias: tfl.LayerVariable | null; relu: boolean }
  /** seed(): the seed this training step's mask is drawn from (tf.dropout's), as the layer's call would take it. */
  | { kind: 'dropout'; rate: number; seed: () => number | undefined }
);

export type TrainingNodeKind = TrainingNode['kind'];

/** The graph of a model's training step: nodes in topological order; the last is the output (logits). */
export interface TrainingGraph {
  nodes: TrainingNode[];
  /** The trainable variables in the order of model.trainableWeights (the order the training loop asks gradients in). */
  trainable: tfl.LayerVariable[];
}
