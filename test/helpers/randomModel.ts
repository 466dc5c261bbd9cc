import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormalization } from '../../src/models/batchNorm.js';
import { SteppedDropout } from '../../src/models/dropout.js';
import { Rng } from '../../src/util/rng.js';

/**
 * A random functional model over every kind of node a program takes: convolutions (kernel 1 to 3, stride 1 or 2,
 * 'same' or 'valid', with or without bias, linear or ReLU), batch norms with and without a ReLU after them,
 * standalone ReLUs, residual sums (with and without a ReLU), pre-activation residual blocks and DenseNet layers
 * (whose input gets gradients from two paths), concatenations, max and average pooling, then global average
 * pooling or a flatten, dropout, and one or two dense layers. With a `channelUnit` of 16 every convolution has a
 * multiple of 16 filters (the channel counts of the paper's networks, which the inference program keeps blocked).
 * Without `concat`, no concatenations nor DenseNet layers (a training program keeps activations blocked only then).
 */
export function randomModel(seed: number, channelUnit = 1, { concat = true } = {}): { build: () => tfl.LayersModel; inputShape: number[]; description: string[] } {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const inputShape = [3 + rng.int(7), 3 + rng.int(7), 1 + rng.int(4)];
  const plan: string[] = [];
  const blocks = 2 + rng.int(4);
  for (let b = 0; b < blocks; b++) {
    // Not a batch norm straight after one without a ReLU: the first one's gradients would vanish exactly.
    const kinds = plan.at(-1) === 'bn' ? ['conv', 'residual', 'concat', 'pool', 'relu'] : ['conv', 'conv', 'bn', 'bnRelu', 'residual', 'preact', 'concat', 'denseLayer', 'pool', 'relu'];
    plan.push(pick(concat ? kinds : kinds.filter((k) => k !== 'concat' && k !== 'denseLayer')));
  }
  // Nor a batch norm straight before the head: global average pooling of its output is its offset whatever came before.
  if (plan.at(-1) === 'bn') plan[plan.length - 1] = 'bnRelu';
  const head = pick(['gap', 'flatten']);
  const dropout = rng.int(2) === 1;
  const hidden = rng.int(2) === 1;
  const seeds = Array.from({ length: 64 }, () => rng.nextUint32());
  const choices = Array.from({ length: 64 }, () => rng.int(1 << 20));
  const build = () => {
    let s = 0;
    let c = 0;
    const nextSeed = () => seeds[s++ % seeds.length]!;
    const choose = (n: number) => choices[c++ % choices.length]! % n;
    const init = () => tfl.initializers.heNormal({ seed: nextSeed() });
    const input = tfl.input({ shape: inputShape });
    let x: tfl.SymbolicTensor = input;
    const spatial = () => Math.min(x.shape[1] as number, x.shape[2] as number);
    const channels = () => x.shape[3] as number;
    const conv = (from: tfl.SymbolicTensor, filters: number, kernel: number, strides: number, padding: 'same' | 'valid', useBias: boolean, relu: boolean) =>
      tfl.layers.conv2d({ filters, kernelSize: kernel, strides, padding, useBias, activation: relu ? 'relu' : 'linear', kernelInitializer: init(), biasInitializer: tfl.initializers.randomNormal({ seed: nextSeed() }) }).apply(from) as tfl.SymbolicTensor;
    for (const kind of plan) {
      switch (kind) {
        case 'conv': {
          const kernel = 1 + choose(Math.min(3, spatial()));
          const padding = choose(2) === 0 ? 'same' : 'valid';
          x = conv(x, channelUnit * (1 + choose(6)), kernel, 1 + choose(2), padding, choose(2) === 0, choose(2) === 0);
          break;
        }
        case 'bn':
        case 'bnRelu':
          x = batchNormalization({ momentum: 0.9, epsilon: 1e-3, betaInitializer: tfl.initializers.randomNormal({ seed: nextSeed() }) }).apply(x) as tfl.SymbolicTensor;
          if (kind === 'bnRelu') x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
          break;
        case 'residual': {
          const branch = conv(x, channels(), 1 + 2 * choose(2), 1, 'same', false, false);
          x = tfl.layers.add().apply([branch, x]) as tfl.SymbolicTensor;
          if (choose(2) === 0) x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
          break;
        }
        case 'preact':
        case 'denseLayer': {
          // a Wide ResNet block (batch norm, ReLU, convolution, plus the input) or a DenseNet layer (the same, beside it)
          const normalized = tfl.layers.reLU().apply(batchNormalization({ momentum: 0.9, epsilon: 1e-3 }).apply(x)) as tfl.SymbolicTensor;
          const branch = conv(normalized, kind === 'preact' ? channels() : channelUnit * (1 + choose(4)), 1 + 2 * choose(2), 1, 'same', false, false);
          x = (kind === 'preact' ? tfl.layers.add() : tfl.layers.concatenate({ axis: -1 })).apply([x, branch]) as tfl.SymbolicTensor;
          break;
        }
        case 'concat': {
          const branch = conv(x, channelUnit * (1 + choose(4)), 1 + 2 * choose(2), 1, 'same', false, true);
          x = tfl.layers.concatenate({ axis: -1 }).apply([x, branch]) as tfl.SymbolicTensor;
          break;
        }
        case 'pool':
          if (spatial() < 2) break;
          x = (choose(2) === 0 ? tfl.layers.maxPooling2d : tfl.layers.averagePooling2d)({ poolSize: 2, strides: 1 + choose(2), padding: choose(2) === 0 ? 'same' : 'valid' }).apply(x) as tfl.SymbolicTensor;
          break;
        case 'relu':
          x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
          break;
      }
    }
    x = (head === 'gap' ? tfl.layers.globalAveragePooling2d({}) : tfl.layers.flatten()).apply(x) as tfl.SymbolicTensor;
    if (dropout) x = new SteppedDropout({ rate: 0.3, seed: nextSeed() }).apply(x) as tfl.SymbolicTensor;
    if (hidden) x = tfl.layers.dense({ units: 3 + choose(5), activation: 'relu', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: 2 + choose(5), kernelInitializer: init(), biasInitializer: tfl.initializers.randomNormal({ seed: nextSeed() }) }).apply(x) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: logits });
  };
  return { build, inputShape, description: [`input ${inputShape.join('x')}`, ...plan, head, ...(dropout ? ['dropout'] : []), ...(hidden ? ['dense relu'] : []), 'dense'] };
}
