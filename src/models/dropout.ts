import * as tfl from '@tensorflow/tfjs-layers';

type LayerArgs = { rate: number; seed?: number; name?: string };
type DropoutLike = tfl.layers.Layer & { seed?: number };

// tfjs-layers does not export its Dropout class, only a factory; take the class from an instance.
const StockDropout = tfl.layers.dropout({ rate: 0.5 }).constructor as new (args: LayerArgs) => DropoutLike;

/** splitmix32-style mixing of a seed with a step number. */
function mix(seed: number, step: number): number {
  let z = (seed ^ Math.imul(step + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Dropout whose mask is fresh at every training step yet reproducible. tfjs-layers' Dropout with a seed draws the
 * same mask at every call (its seed re-creates the generator each time), and without one it uses Math.random, which
 * no run can reproduce or resume. This layer draws its mask from seed and the training step (set by the training
 * loop through setDropoutStep). It serialises as the standard 'Dropout' layer, so saved models load anywhere.
 */
export class SteppedDropout extends StockDropout {
  private step = 0;
  private readonly baseSeed: number;

  constructor(args: LayerArgs & { seed: number }) {
    super(args);
    this.baseSeed = args.seed;
  }

  setStep(step: number): void {
    this.step = step;
  }

  /** The seed of this step's mask (what a training call draws it from), set as the call sets it. */
  trainingSeed(): number {
    this.seed = mix(this.baseSeed, this.step);
    return this.seed;
  }

  override call(inputs: Parameters<tfl.layers.Layer['call']>[0], kwargs: Parameters<tfl.layers.Layer['call']>[1]) {
    if (kwargs?.['training'] === true) this.trainingSeed();
    return super.call(inputs, kwargs);
  }
}

/** Sets the training step from which every SteppedDropout layer of the model draws its next mask. */
export function setDropoutStep(model: tfl.LayersModel, step: number): void {
  for (const layer of model.layers) if (layer instanceof SteppedDropout) layer.setStep(step);
}
