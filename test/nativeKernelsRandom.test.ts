import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { FUSED_KERNELS } from '../src/backend/fusedKernelNames.js';
import type { BufferPool } from '../src/backend/native/bufferPool.js';
import { nativeKernelConfigs } from '../src/backend/native/nativeBackend.js';
import { castValues, kernelCases, MAKERS, type InputSpec, type KernelCase } from './helpers/kernelCases.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';

// Every native kernel against the cpu backend on random shapes (empty and broadcasting ones included) and on inputs
// of every dtype: float32, int32 and bool tensors, and tensors cast between them on the backend (the cpu Cast from
// int32 or bool to float32 keeps the integer storage, which the native kernels once read as float bits). Where a
// native kernel declines, the cpu kernel runs, so the two must agree on every input, errors included. Every output
// array is recycled NaN-poisoned (read when the backend starts) and each case runs twice on native, so a kernel that
// leaves an element unwritten shows a NaN.
process.env.SE_NATIVE_POISON_POOL = '1';

const CASES_PER_KERNEL = 16;
const TOLERANCE = 1e-4;
const OWN_FUSED: string[] = Object.values(FUSED_KERNELS);

type Outcome = { error: string } | { outputs: { shape: number[]; dtype: string; values: number[] }[]; native: boolean };

/** Whether a kernel's output came from a native kernel: only those take their arrays from the backend's pool. */
function madeNatively(t: tf.Tensor): boolean {
  const backend = tf.backend() as unknown as { pool?: BufferPool; data: { get(id: object): { values: unknown } } };
  return backend.pool !== undefined && backend.pool.owns(backend.data.get(t.dataId).values);
}

/** Runs a case on a backend; `plain` makes each input the float32 tensor its cast would give (no cast on the backend). */
async function outcome(backend: string, c: KernelCase, plain = false): Promise<Outcome> {
  await tf.setBackend(backend);
  const made: tf.Tensor[] = [];
  const make = (s: InputSpec): tf.Tensor => {
    if (plain) return keep(tf.tensor(castValues(s.values, s.dtype, s.castTo ?? s.dtype), s.shape, s.castTo ?? s.dtype));
    const t = keep(tf.tensor(s.values, s.shape, s.dtype));
    return s.castTo === undefined ? t : keep(tf.cast(t, s.castTo));
  };
  const keep = (t: tf.Tensor) => (made.push(t), t);
  const inputs = Array.isArray(c.inputs) ? c.inputs.map(make) : Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, make(s)]));
  try {
    const result = tf.engine().runKernel(c.kernel, inputs as tf.NamedTensorMap, c.attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(result) ? result : [result];
    const read = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype, values: Array.from(o.dataSync() as ArrayLike<number>) }));
    const native = outputs.every(madeNatively);
    tf.dispose(outputs);
    return { outputs: read, native };
  } catch (e) {
    return { error: (e instanceof Error ? e.message : String(e)).split('\n')[0]! };
  } finally {
    tf.dispose(made);
  }
}

/** max |a - b| / max |b| over the finite reference values; equal values (NaN, infinities) count as equal. */
function relativeError(a: number[], b: number[]): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) return Infinity;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  for (const v of b) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-12);
}

const worst: Record<string, number> = {};
/** Per kernel: cases run, and how many of them the native kernel computed (the others it declined to cpu). */
const coverage: Record<string, { cases: number; native: number }> = {};
const described = (c: KernelCase) =>
  JSON.stringify({ inputs: (Array.isArray(c.inputs) ? c.inputs : Object.values(c.inputs)).map((s) => `${s.dtype}${s.castTo ? `->${s.castTo}` : ''}[${s.shape}]`), attrs: c.attrs });

function expectSame(ours: Outcome, reference: Outcome, c: KernelCase): void {
  const where = `${c.kernel} ${described(c)}`;
  if ('error' in reference) {
    expect(ours, where).toEqual(reference);
    return;
  }
  expect('outputs' in ours ? ours.outputs.map((o) => [o.shape, o.dtype]) : ours, where).toEqual(reference.outputs.map((o) => [o.shape, o.dtype]));
  if (!('outputs' in ours)) return;
  ours.outputs.forEach((o, i) => {
    const ref = reference.outputs[i]!;
    if (c.exact || ref.dtype !== 'float32') {
      expect(o.values, where).toEqual(ref.values);
      return;
    }
    const error = relativeError(o.values, ref.values);
    worst[c.kernel] = Math.max(worst[c.kernel] ?? 0, error);
    expect(error, where).toBeLessThanOrEqual(TOLERANCE);
  });
}

describe.skipIf(!nativeLoad.ok)(`every native kernel against cpu on random dtypes and shapes (${nativeSkipReason ?? 'addon loaded'})`, () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('native', { threads: 2 });
  });
  afterAll(() => {
    const rows = Object.entries(coverage).map(([k, c]) => `  ${k}: ${c.native} of ${c.cases} native, worst error ${(worst[k] ?? 0).toExponential(2)}`);
    console.log(`native kernels on random dtypes and shapes:\n${rows.join('\n')}`);
  });

  it('a case maker exists for every kernel the native backend registers, and for nothing else', () => {
    const registered = nativeKernelConfigs(nativeLoad.ok ? nativeLoad.addon : (undefined as never)).map((k) => k.kernelName);
    expect([...new Set(registered)].sort()).toEqual(Object.keys(MAKERS).sort());
  });

  it.each(Object.keys(MAKERS).map((kernel, i) => [kernel, i] as const))('%s', async (kernel, i) => {
    const own = OWN_FUSED.includes(kernel);
    let declined = 0;
    const seen = (coverage[kernel] = { cases: 0, native: 0 });
    for (const c of kernelCases(kernel, CASES_PER_KERNEL, 1000 + i)) {
      await outcome('native', c); // fills the pool: the next run writes into recycled, NaN-filled arrays
      const ours = await outcome('native', c);
      seen.cases++;
      if ('native' in ours && ours.native) seen.native++;
      if (own) {
        // Our fused kernels: cast inputs give what the same values as plain float32 tensors give, bit for bit; a
        // tensor that is not float32 is refused with a message naming the kernel.
        const all = Array.isArray(c.inputs) ? c.inputs : Object.values(c.inputs);
        if (all.every((s) => (s.castTo ?? s.dtype) === 'float32')) expect(ours, `${kernel} ${described(c)}`).toEqual({ ...(await outcome('native', c, true)), native: true });
        else expect(ours).toEqual({ error: expect.stringMatching(new RegExp(`^native backend: ${kernel} takes float32 tensors`)) });
        continue;
      }
      const reference = await outcome('cpu', c);
      if ('error' in reference) declined++;
      expectSame(ours, reference, c);
    }
    expect(declined).toBeLessThan(CASES_PER_KERNEL); // most cases compute something
    expect(seen.native, 'cases the native kernel computed').toBeGreaterThanOrEqual(CASES_PER_KERNEL / 4);
  });
});
