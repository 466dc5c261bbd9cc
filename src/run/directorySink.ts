import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { evaluateRegressionEnsemble } from '../metrics/evaluateRegression.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import type { Normalization } from '../schema/data.js';
import type { RunRecord, SnapshotRecord } from '../schema/run.js';
import type { LoopState } from '../schema/training.js';
import type { SgdOptimizer } from '../training/sgd.js';
import type { SwagMoments } from '../training/swag.js';
import type { TaskHead } from '../training/taskHead.js';
import type { Reporter } from '../util/reporter.js';
import { writeCheckpoint } from './checkpoint.js';
import type { CollectorState, MemberInfo, RunSink } from './driver.js';
import { isProbabilities, memberOutputs, noiseVariance, outputMetrics, type MemberOutputs } from './memberOutputs.js';
import { saveSnapshot } from './runDirectory.js';
import { snapshotPath, writeRunRecord } from './runRecord.js';
import { loadSnapshotModel } from './snapshots.js';
import { writeSwagMoments } from './swagState.js';

export interface DirectorySinkOptions {
  runDir: string;
  /** The run's record, kept current in RUN_DIR/run.json. */
  record: RunRecord;
  model: tfl.LayersModel;
  optimizer: SgdOptimizer;
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  normalization: Normalization;
  head: TaskHead;
  /** Evaluate every member on the test (and validation) examples as it is taken, and the ensembles at the end. */
  evaluate: boolean;
  reporter?: Reporter;
}

/**
 * A sink that writes a run into its directory: every snapshot (and SWA's average) as a TF.js model under
 * snapshots/k with its sha256 and metrics in run.json, SWAG's moments under swag/, checkpoints under checkpoint/
 * (with SWA's running average), and at the end every member and last-m ensemble evaluated on the test set.
 */
export class DirectorySink implements RunSink {
  /** A run directory keeps SWAG's moments; it draws the samples only to evaluate them. */
  readonly wantsSwagSamples: boolean;
  private readonly outputs = new Map<number, MemberOutputs>();
  private readonly swagOutputs: MemberOutputs[] = [];

  constructor(private readonly o: DirectorySinkOptions) {
    this.wantsSwagSamples = o.evaluate;
  }

  async member(model: tfl.LayersModel, info: MemberInfo): Promise<void> {
    const { record, runDir, head, normalization, reporter } = this.o;
    if (info.kind === 'swag') {
      // read now: the next sample overwrites these weights as soon as this returns
      this.swagOutputs.push(memberOutputs(model, this.o.test, normalization, head));
      return;
    }
    const index = info.kind === 'swa' ? record.snapshots.length + 1 : info.index;
    const sha256 = await saveSnapshot(model, path.join(runDir, snapshotPath(index)));
    const variance = head.task === 'regression' ? noiseVariance(model, this.o.validation ?? this.o.train, normalization, head) : undefined;
    let test: SnapshotRecord['test'] = null;
    let validation: SnapshotRecord['validation'] = null;
    if (this.o.evaluate) {
      const outputs = memberOutputs(model, this.o.test, normalization, head);
      this.outputs.set(index, outputs);
      test = outputMetrics(outputs, this.o.test.labels, variance);
      if (this.o.validation !== null) validation = outputMetrics(memberOutputs(model, this.o.validation, normalization, head), this.o.validation.labels, variance);
    }
    record.snapshots.push({
      index,
      ...(info.kind === 'swa' ? { kind: 'swa' as const } : {}),
      iteration: info.iteration,
      epoch: info.epoch,
      learningRate: info.learningRate,
      path: snapshotPath(index),
      sha256,
      test,
      ...(this.o.validation === null ? {} : { validation }),
      ...(variance === undefined ? {} : { noiseVariance: variance }),
    });
    writeRunRecord(runDir, record);
    const what = info.kind === 'swa' ? `SWA's average saved as snapshot ${index}` : `snapshot ${index} saved at iteration ${info.iteration} (lr ${info.learningRate.toExponential(2)})`;
    const score = test === null ? '' : 'rmse' in test ? `: test RMSE ${test.rmse.toPrecision(4)}` : `: test error ${(100 * test.error).toFixed(2)}%`;
    reporter?.info?.(what + score);
  }

  swagMoments(moments: SwagMoments, startEpoch: number, iteration: number): void {
    this.o.record.swag = writeSwagMoments(this.o.runDir, moments, startEpoch, iteration);
  }

  checkpoint(state: LoopState, collectors: CollectorState): void {
    const { runDir, record, model, optimizer } = this.o;
    writeCheckpoint(runDir, state, model, optimizer, collectors.swa);
    const startEpoch = record.members?.swag?.startEpoch;
    if (collectors.swag !== null && collectors.swag.count > 0 && startEpoch !== undefined) record.swag = writeSwagMoments(runDir, collectors.swag, startEpoch, state.iteration);
    record.history = { epochs: state.epochs, learningRate: state.learningRates, loss: state.losses };
    record.seconds = state.seconds;
    writeRunRecord(runDir, record);
  }

  /**
   * Evaluates every member and last-m ensemble on the test set into record.evaluation: a SWAG run's samples, or the
   * snapshots (those an earlier process of the run took are loaded again). Returns the members' class
   * probabilities on the test set (null for a regression run or when not evaluating).
   */
  async evaluateMembers(): Promise<ProbabilityMatrix[] | null> {
    if (!this.o.evaluate) return null;
    const { record, runDir, head, normalization, test } = this.o;
    if (this.swagOutputs.length > 0) {
      const samples = this.swagOutputs.filter(isProbabilities);
      record.evaluation = evaluateEnsemble(samples, test.labels, 'mean', samples.map((_, i) => i + 1));
      return samples;
    }
    const members: MemberOutputs[] = [];
    for (const s of record.snapshots) {
      let outputs = this.outputs.get(s.index);
      if (outputs === undefined) {
        const model = await loadSnapshotModel(runDir, s);
        try {
          outputs = memberOutputs(model, test, normalization, head);
        } finally {
          model.dispose();
        }
      }
      members.push(outputs);
    }
    const indices = record.snapshots.map((s) => s.index);
    if (head.task === 'regression') {
      record.evaluation = evaluateRegressionEnsemble(
        members.map((mean, i) => ({ mean: mean as Float32Array, noiseVariance: record.snapshots[i]!.noiseVariance! })),
        test.labels,
        indices,
      );
      return null;
    }
    const probabilities = members.filter(isProbabilities);
    record.evaluation = evaluateEnsemble(probabilities, test.labels, 'mean', indices);
    return probabilities;
  }
}
