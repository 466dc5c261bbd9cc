export interface ModelOptions {
  /** Height, width, channels of one input image. */
  inputShape: readonly [number, number, number];
  numClasses: number;
  /** Dropout rate before the classifier (0 = none). */
  dropout?: number;
}
