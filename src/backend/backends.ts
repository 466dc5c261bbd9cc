import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { UserError } from '../util/errors.js';
import { registerWasmKernels } from './registerWasmKernels.js';

export type BackendName = 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu'];

let wasmPathsSet = false;

/** Points the wasm backend at the .wasm binaries inside the installed @tensorflow/tfjs-backend-wasm package. */
function setNodeWasmPaths(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(path.dirname(main) + path.sep);
  wasmPathsSet = true;
}

/** Selects and initialises a TF.js backend in Node, with the kernels our training needs. */
export async function useBackend(name: BackendName): Promise<BackendName> {
  if (!BACKEND_NAMES.includes(name)) throw new UserError(`unknown backend '${name}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  if (name === 'wasm') {
    setNodeWasmPaths();
    registerWasmKernels();
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new UserError(`the ${name} backend could not be initialised`);
  await tf.ready();
  return name;
}
