import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import type { Normalization } from '../schema/data.js';
import type { TaskHead } from '../training/taskHead.js';
import type { MemberInfo, RunSink } from './driver.js';
import { memberOutputs, noiseVariance, type MemberOutputs } from './memberOutputs.js';

/** A member taken from a run in memory: where, and its outputs on the test and validation examples. */
export interface RunMember {
  iteration: number;
  epoch: number;
  learningRate: number;
  test: MemberOutputs;
  validation: MemberOutputs | null;
  /** Regression: the member's sigma^2 (on the validation examples where there are any, else on the training ones). */
  noiseVariance?: number;
}

export interface MemorySinkOptions {
  test: ImageSet;
  validation: ImageSet | null;
  /** The training examples: a regression member's sigma^2 is measured on them when there is no validation split. */
  train: ImageSet;
  normalization: Normalization;
  head: TaskHead;
  /** Keep a copy of each snapshot's weights, by iteration (a distilled student learns from them). */
  keepWeights?: boolean;
}

/**
 * A sink that keeps a run's members as their outputs on the test (and validation) examples, in memory: compare's
 * and sweep's runs on one machine. Snapshots and SWA's average by iteration, SWAG's samples in order.
 */
export class MemorySink implements RunSink {
  readonly wantsSwagSamples = true;
  readonly members = new Map<number, RunMember>();
  readonly samples: RunMember[] = [];
  /** Each snapshot's weights, by iteration, when keepWeights (the caller disposes them with dispose()). */
  readonly weights = new Map<number, tf.Tensor[]>();

  constructor(private readonly options: MemorySinkOptions) {}

  member(model: tfl.LayersModel, info: MemberInfo): void {
    const { test, validation, train, normalization, head } = this.options;
    const member: RunMember = {
      iteration: info.iteration,
      epoch: info.epoch,
      learningRate: info.learningRate,
      test: memberOutputs(model, test, normalization, head),
      validation: validation === null ? null : memberOutputs(model, validation, normalization, head),
      ...(head.task === 'regression' ? { noiseVariance: noiseVariance(model, validation ?? train, normalization, head) } : {}),
    };
    if (info.kind === 'swag') this.samples.push(member);
    else this.members.set(info.iteration, member);
    if (info.kind === 'snapshot' && this.options.keepWeights === true) this.weights.set(info.iteration, model.getWeights().map((w) => tf.clone(w)));
  }

  /** Releases the kept weights. */
  dispose(): void {
    for (const w of this.weights.values()) tf.dispose(w);
    this.weights.clear();
  }
}
