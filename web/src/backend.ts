import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** Backends in the order the page tries them: the GPU first, then WebAssembly, then plain JavaScript. */
export const BACKEND_ORDER = ['webgl', 'wasm', 'cpu'] as const;
export type PageBackend = (typeof BACKEND_ORDER)[number];

// The wasm binaries are bundled with the page and served by it: nothing is fetched from a CDN.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

export interface ChosenBackend {
  name: PageBackend;
  /** Why each backend tried before it was passed over. */
  skipped: string[];
}

async function tryBackend(name: PageBackend): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `${name}: could not be initialised`;
    await tf.ready();
    // Run one small op: a backend can initialise and still fail on first use (a lost or software-blocked GL context).
    const probe = tf.tidy(() => tf.sum(tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(1))));
    const value = (await probe.data())[0];
    probe.dispose();
    return value === 9 ? null : `${name}: gave ${value} for 2 + 3 + 4`;
  } catch (e) {
    return `${name}: ${(e as Error).message}`;
  }
}

/** Selects the first backend that works, starting from `preferred` when given (e.g. from the page's ?backend= parameter). */
export async function chooseBackend(preferred?: string | null): Promise<ChosenBackend> {
  const order: PageBackend[] = [...BACKEND_ORDER];
  const first = order.find((b) => b === preferred);
  if (first !== undefined) order.splice(0, order.length, first, ...order.filter((b) => b !== first));
  const skipped: string[] = [];
  for (const name of order) {
    const problem = await tryBackend(name);
    if (problem === null) return { name, skipped };
    skipped.push(problem);
  }
  throw new Error(`no TF.js backend works in this browser (${skipped.join('; ')})`);
}
