/** One epoch of training: its mean loss and accuracy, its seconds and the iteration that ended it. */
export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
  /** Iteration that ended the epoch. */
  iteration: number;
}

/**
 * Everything the loop needs to continue exactly where it stopped: the position (iteration, epoch, batch within the
 * epoch), the epoch's data order when stopped inside an epoch, the generator's state, the running sums of the
 * epoch, and the traces so far. The model's weights and the optimizer's buffers are saved beside it by the caller.
 */
export interface LoopState {
  /** Iterations completed, t. */
  iteration: number;
  /** The epoch in progress (1-based); when batch === iterations per epoch it has just ended. */
  epoch: number;
  /** Batches of `epoch` completed. */
  batch: number;
  /** The epoch's example order, while inside an epoch (0 < batch < per epoch); null at an epoch boundary. */
  order: number[] | null;
  /** Generator state after the last completed iteration. */
  rngState: number;
  snapshotsTaken: number;
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  epochSeconds: number;
  learningRates: number[];
  losses: number[];
  epochs: EpochSummary[];
  seconds: number;
}
