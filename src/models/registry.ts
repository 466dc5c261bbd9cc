import type * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { cnn } from './cnn.js';
import { densenetBC } from './densenet.js';
import { mlp, mlpProblem } from './mlp.js';
import { resnet, resnetDepthProblem } from './resnet.js';
import type { ModelOptions } from './types.js';
import { wideResnet, wideResnetProblem } from './wideResnet.js';

type Builder = (options: ModelOptions, rng: Rng) => tfl.LayersModel;

/** Models with a fixed name. */
const NAMED: Record<string, Builder> = {
  cnn,
  resnet20: (options, rng) => resnet(20, options, rng),
  resnet32: (options, rng) => resnet(32, options, rng),
  resnet56: (options, rng) => resnet(56, options, rng),
  resnet110: (options, rng) => resnet(110, options, rng),
  densenet40: (options, rng) => densenetBC(40, 12, options, rng),
  densenet100: (options, rng) => densenetBC(100, 12, options, rng),
};

/** Families named by their parameters: resnet<6n+2>, wrn-<6n+4>-<k> and mlp-<width>x<depth>[-bn]. */
const FAMILIES: { pattern: RegExp; example: string; build: (match: RegExpMatchArray) => Builder | string }[] = [
  {
    pattern: /^resnet(\d+)$/,
    example: 'resnet<6n+2>',
    build: ([, d]) => {
      const depth = Number(d);
      return resnetDepthProblem(depth) ?? ((o, rng) => resnet(depth, o, rng));
    },
  },
  {
    pattern: /^wrn-(\d+)-(\d+)$/,
    example: 'wrn-<6n+4>-<k> (e.g. wrn-16-4, wrn-28-10)',
    build: ([, d, k]) => {
      const depth = Number(d);
      const widen = Number(k);
      return wideResnetProblem(depth, widen) ?? ((o, rng) => wideResnet(depth, widen, o, rng));
    },
  },
  {
    pattern: /^mlp-(\d+)x(\d+)(-bn)?$/,
    example: 'mlp-<width>x<depth>[-bn] (e.g. mlp-64x2, mlp-256x3-bn)',
    build: ([, w, d, bn]) => {
      const shape = { width: Number(w), depth: Number(d), batchNorm: bn !== undefined };
      return mlpProblem(shape) ?? ((o, rng) => mlp(shape, o, rng));
    },
  },
];

/** Whether a model name takes inputs of any shape (a table's rows); the other models take H x W x C images. */
export function takesAnyInput(name: string): boolean {
  return /^mlp-/.test(name);
}

/** Names to show a user: the fixed names, then the families' patterns. */
export function modelNames(): string[] {
  return [...Object.keys(NAMED), ...FAMILIES.map((f) => f.example)];
}

function builderFor(name: string): Builder {
  const named = NAMED[name];
  if (named !== undefined) return named;
  for (const family of FAMILIES) {
    const match = name.match(family.pattern);
    if (match === null) continue;
    const built = family.build(match);
    if (typeof built === 'string') throw new UserError(`model '${name}': ${built}`);
    return built;
  }
  throw new UserError(`unknown model '${name}' (expected one of ${modelNames().join(', ')})`);
}

/** Checks a model name without building it (for the command line, before data is loaded); returns it. */
export function checkModelName(name: string): string {
  builderFor(name);
  return name;
}

/** Builds a named model with weights initialised from `seed`. */
export function buildModel(name: string, options: ModelOptions, seed: number): tfl.LayersModel {
  const builder = builderFor(name);
  checkModelInput(name, options.inputShape);
  return builder(options, new Rng(seed));
}

/** Refuses a model that cannot take inputs of this shape (an image network on a table's rows). */
export function checkModelInput(name: string, inputShape: readonly number[]): void {
  if (inputShape.length !== 3 && !takesAnyInput(name)) {
    throw new UserError(`model '${name}' takes H x W x C images, not inputs of shape [${inputShape.join(', ')}]; for a table use mlp-<width>x<depth>`);
  }
}
