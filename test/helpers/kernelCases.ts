import { FUSED_KERNELS } from '../../src/backend/fusedKernelNames.js';
import { Rng, standardNormal } from '../../src/util/rng.js';

/**
 * Random calls of every kernel the native backend registers, with inputs of every dtype the kernels can be sent:
 * float32, int32 and bool tensors, and tensors cast between them on the backend itself (tf.cast from int32 or bool
 * to float32 keeps the Int32Array or Uint8Array under the new dtype). Shapes are random, empty ones and
 * broadcasting ones included. Pure: a case is data, the same on every backend.
 */

export type Dtype = 'float32' | 'int32' | 'bool';

/** One input: values of dtype `dtype` and, when castTo is set, tf.cast to it on the backend before the call. */
export interface InputSpec {
  shape: number[];
  dtype: Dtype;
  values: number[];
  castTo?: Dtype;
}

export interface KernelCase {
  kernel: string;
  inputs: Record<string, InputSpec> | InputSpec[];
  attrs: Record<string, unknown>;
  /** Data movement: the outputs equal the reference's bit for bit. */
  exact: boolean;
}

/** How inputs are made, with how often: plain tensors of each dtype, and each cast between them. */
type Mode = [number, Dtype, Dtype | undefined];
const MODES: Mode[] = [
  [40, 'float32', undefined],
  [8, 'int32', undefined],
  [4, 'bool', undefined],
  [20, 'int32', 'float32'],
  [12, 'bool', 'float32'],
  [8, 'float32', 'int32'],
  [4, 'bool', 'int32'],
  [4, 'int32', 'bool'],
];

export class CaseMaker {
  /** The mode of every input of the current case, or null when each input draws its own. */
  private caseMode: Mode | null = null;

  constructor(private readonly rng: Rng) {}

  /** Starts a case: most cases give all their inputs one mode, a quarter mix modes input by input. */
  startCase(): void {
    this.caseMode = this.chance(0.25) ? null : this.drawMode();
  }

  private drawMode(): Mode {
    let draw = this.rng.int(MODES.reduce((a, m) => a + m[0], 0));
    for (const m of MODES) {
      if (draw < m[0]) return m;
      draw -= m[0];
    }
    return MODES[0]!;
  }

  int(lo: number, hi: number): number {
    return lo + this.rng.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)]!;
  }

  /** A shape of the given rank, each axis in lo..hi, an axis of 0 now and then. */
  shape(rank: number, lo = 1, hi = 5, empty = 0.08): number[] {
    return Array.from({ length: rank }, () => (this.chance(empty) ? 0 : this.int(lo, hi)));
  }

  /** An input of `shape` in the case's mode (or one of its own); `positive` keeps the values above 0. */
  input(shape: number[], options: { positive?: boolean } = {}): InputSpec {
    const [, dtype, castTo] = this.caseMode ?? this.drawMode();
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, () => {
      if (dtype === 'bool') return this.rng.int(2);
      if (dtype === 'int32') return this.int(options.positive ? 0 : -4, 4);
      const v = 2 * standardNormal(this.rng);
      return Math.fround(options.positive ? Math.abs(v) + 0.01 : v);
    });
    return castTo === undefined ? { shape, dtype, values } : { shape, dtype, values, castTo };
  }

  /** { [name]: an input } with probability p, else no input of that name. */
  maybe(name: string, p: number, make: () => InputSpec): Record<string, InputSpec> {
    return this.chance(p) ? { [name]: make() } : {};
  }

  /** `shape` with some axes set to 1 and some leading ones dropped: a shape that broadcasts against it. */
  broadcastOf(shape: number[]): number[] {
    const out = shape.map((d) => (this.chance(0.35) ? 1 : d));
    return out.slice(this.int(0, Math.min(2, out.length)));
  }
}

const UNARY = ['Relu', 'Step', 'Square', 'Rsqrt', 'Sqrt', 'Exp', 'Log', 'Neg', 'Floor', 'Abs', 'Sigmoid', 'Tanh', 'Relu6'];
const BINARY = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'];
const REDUCTIONS = ['Sum', 'Mean', 'Max', 'Min', 'Prod'];

type Maker = (m: CaseMaker) => Omit<KernelCase, 'kernel' | 'exact'>;

function convGeometry(m: CaseMaker) {
  const k = m.int(1, 3);
  const stride = m.int(1, 2);
  const dilation = stride === 1 && m.chance(0.2) ? 2 : 1;
  const x = [m.chance(0.08) ? 0 : m.int(1, 2), m.int(1, 7), m.int(1, 7), m.int(1, 3)];
  const filter = [k, m.chance(0.3) ? 1 : k, x[3]!, m.int(1, 4)];
  const pad = m.pick(['same', 'valid', 0, 1] as const);
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [dilation, dilation] };
  // TF.js's own output size (conv_util): 'same' ceil(in / stride); 'valid' and numbers floor((in + 2p - extent) / stride) + 1
  const extent = (f: number) => (f - 1) * dilation + 1;
  const size = (i: number, f: number) =>
    pad === 'same' ? Math.ceil(i / stride) : Math.max(0, Math.floor((i + 2 * (pad === 'valid' ? 0 : pad) - extent(f)) / stride) + 1);
  const y = [x[0]!, size(x[1]!, filter[0]!), size(x[2]!, filter[1]!), filter[3]!];
  return { x, filter, y, attrs, dilation };
}

function poolGeometry(m: CaseMaker) {
  const size = m.int(1, 3);
  const stride = m.int(1, 3);
  const x = [m.int(1, 2), m.int(1, 7), m.int(1, 7), m.int(1, 4)];
  const pad = m.pick(['same', 'valid'] as const);
  const out = (i: number) => (pad === 'same' ? Math.ceil(i / stride) : Math.max(0, Math.floor((i - size) / stride) + 1));
  return { x, y: [x[0]!, out(x[1]!), out(x[2]!), x[3]!], attrs: { filterSize: [size, size], strides: [stride, stride], pad } };
}

function matMulShapes(m: CaseMaker) {
  const [r, k, c] = [m.int(1, 6), m.chance(0.1) ? 0 : m.int(1, 7), m.int(1, 6)];
  const batch = m.chance(0.4) ? [m.int(1, 3)] : [];
  const transposeA = m.chance(0.5), transposeB = m.chance(0.5);
  const a = [...batch, ...(transposeA ? [k, r] : [r, k])];
  const b = [...(m.chance(0.3) ? [] : batch), ...(transposeB ? [c, k] : [k, c])];
  return { a, b, n: c, attrs: { transposeA, transposeB } };
}

/** A case maker for each kernel the native backend registers (test/nativeKernelsRandom.test.ts checks the list). */
export const MAKERS: Record<string, { exact: boolean; make: Maker }> = {
  ...Object.fromEntries(
    UNARY.map((kernel) => [kernel, { exact: false, make: (m: CaseMaker) => ({ inputs: { x: m.input(m.shape(m.int(0, 3))) }, attrs: kernel === 'Step' ? { alpha: m.pick([0, 0.3]) } : {} }) }]),
  ),
  ...Object.fromEntries(
    BINARY.map((kernel) => [
      kernel,
      {
        exact: false,
        make: (m: CaseMaker) => {
          const full = m.shape(m.int(0, 4), 1, 4);
          const other = m.broadcastOf(full);
          const [sa, sb] = m.chance(0.5) ? [full, other] : [other, full];
          return { inputs: { a: m.input(sa), b: m.input(sb) }, attrs: {} };
        },
      },
    ]),
  ),
  ...Object.fromEntries(
    REDUCTIONS.map((kernel) => [
      kernel,
      {
        exact: false,
        make: (m: CaseMaker) => {
          const shape = m.shape(m.int(1, 4), 1, 5);
          const axes = shape.map((_, i) => i).filter(() => m.chance(0.5));
          const axis = axes.length === 0 ? [m.int(0, shape.length - 1)] : axes;
          // Max names its axes reductionIndices (TF.js's kernel attributes); the others name them axis.
          return { inputs: { x: m.input(shape) }, attrs: { [kernel === 'Max' ? 'reductionIndices' : 'axis']: axis, keepDims: m.chance(0.5) } };
        },
      },
    ]),
  ),
  Softmax: { exact: false, make: (m) => ({ inputs: { logits: m.input(m.shape(m.int(1, 3))) }, attrs: { dim: -1 } }) },
  Transpose: {
    exact: true,
    make: (m) => {
      const shape = m.shape(m.int(1, 4));
      const perm = shape.map((_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = m.int(0, i);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return { inputs: { x: m.input(shape) }, attrs: { perm } };
    },
  },
  Concat: {
    exact: true,
    make: (m) => {
      const shape = m.shape(m.int(1, 4), 1, 4, 0.04);
      const axis = m.int(0, shape.length - 1);
      const parts = Array.from({ length: m.int(2, 3) }, () => m.input(shape.map((d, i) => (i === axis ? (m.chance(0.1) ? 0 : m.int(1, 3)) : d))));
      return { inputs: parts, attrs: { axis } };
    },
  },
  SplitV: {
    exact: true,
    make: (m) => {
      const shape = m.shape(m.int(1, 4), 1, 5, 0.04);
      const axis = m.int(0, shape.length - 1);
      const first = m.int(0, shape[axis]!);
      const numOrSizeSplits = m.chance(0.5) ? [first, -1] : [first, shape[axis]! - first];
      return { inputs: { x: m.input(shape) }, attrs: { numOrSizeSplits, axis } };
    },
  },
  Slice: {
    exact: true,
    make: (m) => {
      const shape = m.shape(m.int(1, 4), 1, 5, 0.04);
      const begin = shape.map((d) => m.int(0, Math.max(0, d - 1)));
      const size = shape.map((d, i) => (m.chance(0.2) ? -1 : m.chance(0.05) ? 0 : Math.min(d - begin[i]!, m.int(1, d))));
      return { inputs: { x: m.input(shape) }, attrs: { begin, size } };
    },
  },
  PadV2: {
    exact: true,
    make: (m) => {
      const shape = m.shape(m.int(1, 4), 1, 4);
      return { inputs: { x: m.input(shape) }, attrs: { paddings: shape.map(() => [m.int(0, 2), m.int(0, 2)]), constantValue: m.pick([0, 1.5, -2]) } };
    },
  },
  Conv2D: { exact: false, make: (m) => { const g = convGeometry(m); return { inputs: { x: m.input(g.x), filter: m.input(g.filter) }, attrs: g.attrs }; } },
  FusedConv2D: {
    exact: false,
    make: (m) => {
      const g = convGeometry(m);
      const bias = m.maybe('bias', 0.8, () => m.input(m.chance(0.8) ? [g.filter[3]!] : [1, 1, g.filter[3]!]));
      return { inputs: { x: m.input(g.x), filter: m.input(g.filter), ...bias }, attrs: { ...g.attrs, activation: m.pick(['linear', 'relu', 'relu', 'elu']) } };
    },
  },
  Conv2DBackpropInput: {
    exact: false,
    make: (m) => {
      const g = convGeometry(m);
      return { inputs: { dy: m.input(g.y), filter: m.input(g.filter) }, attrs: { ...g.attrs, dilations: [1, 1], inputShape: g.x } };
    },
  },
  Conv2DBackpropFilter: {
    exact: false,
    make: (m) => {
      const g = convGeometry(m);
      return { inputs: { x: m.input(g.x), dy: m.input(g.y) }, attrs: { ...g.attrs, dilations: [1, 1], filterShape: g.filter } };
    },
  },
  BatchMatMul: { exact: false, make: (m) => { const s = matMulShapes(m); return { inputs: { a: m.input(s.a), b: m.input(s.b) }, attrs: s.attrs }; } },
  _FusedMatMul: {
    exact: false,
    make: (m) => {
      const s = matMulShapes(m);
      const bias = m.maybe('bias', 0.8, () => m.input([s.n]));
      return { inputs: { a: m.input(s.a), b: m.input(s.b), ...bias }, attrs: { ...s.attrs, activation: m.pick(['linear', 'relu', 'relu', 'elu']) } };
    },
  },
  MaxPool: { exact: false, make: (m) => { const g = poolGeometry(m); return { inputs: { x: m.input(g.x) }, attrs: g.attrs }; } },
  AvgPool: { exact: false, make: (m) => { const g = poolGeometry(m); return { inputs: { x: m.input(g.x) }, attrs: g.attrs }; } },
  MaxPoolGrad: {
    exact: false,
    make: (m) => {
      const g = poolGeometry(m);
      return { inputs: { dy: m.input(g.y), input: m.input(g.x), output: m.input(g.y) }, attrs: g.attrs };
    },
  },
  AvgPoolGrad: {
    exact: false,
    make: (m) => {
      const g = poolGeometry(m);
      // TF.js's avgPool gradient divides by the whole window; the cpu kernel's 'same' padding case agrees with ours
      return { inputs: { dy: m.input(g.y), input: m.input(g.x) }, attrs: { ...g.attrs, pad: 'valid' } };
    },
  },
  FusedBatchNorm: {
    exact: false,
    make: (m) => {
      const shape = m.shape(m.int(1, 4), 1, 4);
      const c = shape[shape.length - 1]!;
      const param = (positive = false) => m.input(m.chance(0.8) ? [c] : [1], { positive });
      const optional = (name: string) => m.maybe(name, 0.7, () => param());
      return {
        inputs: { x: m.input(shape), mean: param(), variance: param(true), ...optional('offset'), ...optional('scale') },
        attrs: { varianceEpsilon: m.pick([1e-3, 1e-5]) },
      };
    },
  },
  // Our own fused kernels have no cpu twin: the reference is the same kernel on plain float32 tensors.
  [FUSED_KERNELS.batchNormMoments]: { exact: false, make: (m) => ({ inputs: { x: m.input([m.int(1, 40), m.int(1, 6)]) }, attrs: {} }) },
  [FUSED_KERNELS.batchNormGrad]: {
    exact: false,
    make: (m) => {
      const [n, c] = [m.int(1, 40), m.int(1, 6)];
      return {
        inputs: { dy: m.input([n, c]), x: m.input([n, c]), mean: m.input([c]), variance: m.input([c], { positive: true }), gamma: m.input([c]) },
        attrs: { epsilon: 1e-3 },
      };
    },
  },
  [FUSED_KERNELS.sgdStep]: {
    exact: false,
    make: (m) => {
      const shape = m.shape(m.int(1, 3), 1, 6, 0);
      const momentum = m.pick([0, 0.9]);
      const buffer = m.maybe('buffer', momentum > 0 ? 0.7 : 0, () => m.input(shape));
      return {
        inputs: { w: m.input(shape), grad: m.input(shape), ...buffer },
        attrs: { learningRate: 0.1, momentum, weightDecay: m.pick([0, 5e-4]), nesterov: m.chance(0.5) },
      };
    },
  },
};

/** `count` cases of one kernel, from a seed of its own (so adding a kernel changes no other kernel's cases). */
export function kernelCases(kernel: string, count: number, seed: number): KernelCase[] {
  const maker = MAKERS[kernel];
  if (maker === undefined) throw new Error(`no case maker for ${kernel}`);
  const m = new CaseMaker(new Rng(seed));
  return Array.from({ length: count }, () => {
    m.startCase();
    return { kernel, exact: maker.exact, ...maker.make(m) };
  });
}

/** The values `values` of dtype `from` become under tf.cast to `to` (the reference for our fused kernels). */
export function castValues(values: number[], from: Dtype, to: Dtype): number[] {
  if (to === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (to === 'int32' && from === 'float32') return values.map((v) => Math.trunc(v));
  return values;
}
