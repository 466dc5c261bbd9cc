import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine } from '../../util/errors.js';

type F32 = Float32Array;
type Nullable<T> = T | null;

/** A program made by createProgram (an opaque handle, freed with its last reference or by releaseProgram). */
export type ProgramHandle = { readonly __trainingProgram: unique symbol };

/** The functions of the C++ addon (native/src), one group per kernel family. Every output array is preallocated. */
export interface NativeAddon {
  setThreads(threads: number): void;
  getThreads(): number;
  version(): { major: number; minor: number; patch: number; cpuIsa: number };
  /** Channels per block of this CPU's fastest oneDNN convolutions: 16 (AVX-512), 8 (AVX2) or 0. */
  channelBlock(): number;
  /** How many oneDNN primitives the calling thread's environment has built and keeps (each worker has its own). */
  cachedPrimitives(): number;
  /** shape: [n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight] */
  conv2dForward(shape: number[], x: F32, w: F32, bias: Nullable<F32>, out: F32, relu: boolean): void;
  conv2dBackwardData(shape: number[], dy: F32, w: F32, dx: F32): void;
  conv2dBackwardWeights(shape: number[], x: F32, dy: F32, dw: F32): void;
  /** dims: [batchA, batchB, m, n, k] */
  batchMatMul(a: F32, b: F32, out: F32, dims: number[], transposeA: boolean, transposeB: boolean, bias: Nullable<F32>, relu: boolean): void;
  /** shape: [n, h, w, c, fh, fw, oh, ow, sh, sw, padTop, padLeft] */
  pool(shape: number[], x: F32, out: F32, isMax: boolean): void;
  maxPoolGrad(shape: number[], dy: F32, x: F32, dx: F32): void;
  avgPoolGrad(shape: number[], dy: F32, dx: F32): void;
  batchNormAffine(x: F32, out: F32, channels: number, mean: Nullable<F32>, variance: Nullable<F32>, offset: Nullable<F32>, scale: Nullable<F32>, epsilon: number): void;
  batchNormMoments(x: F32, channels: number, mean: F32, variance: F32): void;
  batchNormGrad(dy: F32, x: F32, channels: number, mean: F32, variance: F32, gamma: F32, epsilon: number, dx: F32, dgamma: F32, dbeta: F32): void;
  unary(op: number, x: F32, out: F32, alpha: number): void;
  binary(op: number, a: F32, aShape: number[], b: F32, bShape: number[], out: F32, outShape: number[]): void;
  /** dims: [outer, reduced, inner] */
  reduce(op: number, x: F32, out: F32, dims: number[]): void;
  softmax(x: F32, out: F32, classes: number): void;
  transpose(x: F32, shape: number[], perm: number[], out: F32): void;
  concat(inputs: F32[], widths: number[], outer: number, out: F32): void;
  split(x: F32, widths: number[], outer: number, outputs: F32[]): void;
  window(x: F32, xShape: number[], xBegin: number[], out: F32, outShape: number[], outBegin: number[], size: number[], fill: number): void;
  sgdStep(w: F32, grad: F32, buffer: Nullable<F32>, out: F32, outBuffer: Nullable<F32>, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
  /**
   * A training or inference program (native/src/program.cc): buffers as [external, at, batched, rows, cols, stride] (at: the arena
   * offset in floats, or the index of the caller's array), operations as [code, ...buffer ids, ...parameters];
   * constants[k], where given, is copied and kept as the caller's array k (runs need not pass it).
   */
  createProgram(arenaFloats: number, maxBatch: number, buffers: number[][], forward: number[][], backward: number[][], constants?: Nullable<F32>[]): ProgramHandle;
  /** Runs the forward (0) or backward (1) list at a batch; arrays[k] is the caller's array k (null where unused). */
  runProgram(program: ProgramHandle, which: 0 | 1, batch: number, arrays: Nullable<F32>[]): void;
  fillProgram(program: ProgramHandle, value: number): void;
  programBytes(program: ProgramHandle): number;
  /** Frees a program's arena now; it cannot run after. */
  releaseProgram(program: ProgramHandle): void;
  /** Every operation as name -> [code, buffer operand names, parameter names]. */
  programOperations(): Record<string, [number, string[], string[]]>;
}

/** Where the install step (native/install.cjs) leaves the addon: native/build/Release, from the package root. */
export function addonPath(): string {
  const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return path.join(packageRoot, 'native', 'build', 'Release', 'snapshot_ensembles_native.node');
}

export type AddonLoad = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

let loaded: AddonLoad | null = null;

/** Loads the addon once; when it cannot, says why in one line (not built, or the system's oneDNN fails to load). */
export function loadNativeAddon(): AddonLoad {
  if (loaded !== null) return loaded;
  const file = addonPath();
  if (!existsSync(file)) {
    loaded = {
      ok: false,
      reason: 'addon not built (oneDNN or a compiler was missing at install: install libdnnl-dev, then npm run build:native)',
    };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    loaded = { ok: true, addon: require(file) as NativeAddon };
  } catch (e) {
    loaded = { ok: false, reason: `addon load error: ${firstLine(e)}` };
  }
  return loaded;
}
