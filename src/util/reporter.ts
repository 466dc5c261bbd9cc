import type { EpochSummary } from '../schema/training.js';
/** What the training loop reports after every iteration. */
export interface StepProgress {
  /** 1-based iteration t and the total T. */
  iteration: number;
  totalSteps: number;
  /** 1-based epoch and the number of epochs. */
  epoch: number;
  epochs: number;
  /** 1-based cycle: the stretch of training that ends in the next snapshot, and how many there are. */
  cycle: number;
  cycles: number;
  learningRate: number;
  /** Mean loss and accuracy over the current epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Estimated seconds until the last iteration. */
  secondsLeft: number;
}

/** Receives progress and messages; the library never prints on its own. */
export interface Reporter {
  /** Called after every iteration. */
  step?(progress: StepProgress): void;
  /** Called at the end of every epoch. */
  epoch?(summary: EpochSummary): void;
  /** A message worth showing. */
  info?(message: string): void;
  /** A warning. */
  warn?(message: string): void;
  /** Progress of a long piece of work other than training (decoding an image folder): done of total items. */
  progress?(task: { label: string; done: number; total: number }): void;
}
