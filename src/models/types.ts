/** What a network is built for: the shape of an example, the classes (1 for regression) and the dropout rate. */
export interface ModelOptions {
  /** The shape of one input: height, width, channels of an image; [features] of a table row. */
  inputShape: readonly number[];
  numClasses: number;
  /** Dropout rate before the classifier (0 = none). */
  dropout?: number;
}
