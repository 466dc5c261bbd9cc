import { UserError } from '../util/errors.js';
import { takeFirst, type ImageSet } from './dataset.js';

/**
 * Holds out the last `size` examples of a training split for validation: returns the first count - size examples
 * to train on and the last `size` to validate on (no copy). The same split for every run, whatever its seed.
 */
export function holdOutValidation(train: ImageSet, size: number): { train: ImageSet; validation: ImageSet | null } {
  if (size === 0) return { train, validation: null };
  if (!Number.isInteger(size) || size < 0) throw new UserError(`--val-size must be an integer >= 0, got ${size}`);
  if (size >= train.count) throw new UserError(`--val-size ${size} leaves none of the ${train.count} training examples to train on`);
  const keep = train.count - size;
  const pixels = train.height * train.width * train.channels;
  const validation: ImageSet = {
    ...train,
    images: train.images.subarray(keep * pixels, train.count * pixels),
    labels: train.labels.subarray(keep, train.count),
    count: size,
  };
  return { train: takeFirst(train, keep), validation };
}
