import { describe, expect, it } from 'vitest';
import { cyclic, sgdr, stepDecay } from '../src/index.js';

// Learning rates printed by PyTorch 1.13 (Debian python3-torch) for scheduler steps 0..n-1, the rate used at our t = step + 1.
const TORCH = {
  // CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.01), base lr 1
  sgdr: [1.0, 0.7525, 0.2575, 1.0, 0.933682574873297, 0.7525, 0.505, 0.2575, 0.076317425126703, 1.0, 0.983133284013089, 0.933682574873297, 0.855017856687341, 0.7525, 0.633115427325748, 0.505, 0.376884572674252, 0.2575, 0.154982143312659, 0.076317425126703, 0.026866715986911, 1.0, 0.995765206380036, 0.983133284013089, 0.962320368593087, 0.933682574873297, 0.897709903444161, 0.855017856687341, 0.806336907359317, 0.7525],
  // CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3, mode='triangular2')
  triangular2: [0.01, 0.04, 0.07, 0.1, 0.07, 0.04, 0.01, 0.025, 0.04, 0.055, 0.04, 0.025, 0.01, 0.0175, 0.025, 0.0325, 0.025, 0.0175, 0.01, 0.01375, 0.0175, 0.02125, 0.0175, 0.01375, 0.01, 0.011875, 0.01375, 0.015625, 0.01375, 0.011875],
  // CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode='exp_range', gamma=0.97)
  expRange: [0.01, 0.0391, 0.066454, 0.09214057, 0.07374108232, 0.0563716373878, 0.039986992177444, 0.02454369120606, 0.01, 0.032806931759637, 0.054245447613696, 0.074377126277927, 0.059956649991672, 0.046343462868941, 0.033502105988582, 0.021398521404462, 0.01, 0.027874781315764, 0.044677075752582, 0.060455145220007, 0.049153192690726, 0.038483947682503, 0.028419619501352, 0.018933515458156, 0.01, 0.024009241157631, 0.037177927845804, 0.049543885015645, 0.040686054772141, 0.032324104846732],
  // MultiStepLR(milestones=[10, 15], gamma=0.1), base lr 1
  multiStep: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01],
};

function expectSame(ours: (t: number) => number, theirs: number[]): void {
  theirs.forEach((v, i) => expect(ours(i + 1)).toBeCloseTo(v, 12));
}

describe('schedules agree with PyTorch 1.13', () => {
  it('sgdr = CosineAnnealingWarmRestarts', () => expectSame(sgdr({ lrMax: 1, lrMin: 0.01, t0: 3, tMult: 2 }), TORCH.sgdr));
  it('cyclic triangular2 = CyclicLR', () =>
    expectSame(cyclic({ baseLr: 0.01, maxLr: 0.1, stepSize: 3, mode: 'triangular2' }), TORCH.triangular2));
  it('cyclic exp_range with unequal halves = CyclicLR', () =>
    expectSame(cyclic({ baseLr: 0.01, maxLr: 0.1, stepSize: 3, stepSizeDown: 5, mode: 'exp_range', gamma: 0.97 }), TORCH.expRange));
  it('stepDecay = MultiStepLR', () => expectSame(stepDecay({ lr0: 1, milestones: [10, 15] }), TORCH.multiStep));
});
