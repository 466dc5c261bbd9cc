import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { firstLine, UserError } from '../util/errors.js';
import { DEFAULT_PROBES, type BackendProbes, type ProbeResult } from './probes.js';
import { loadNativeAddon } from './native/addon.js';
import { registerNativeBackend } from './native/nativeBackend.js';
import { registerWasmKernels } from './registerWasmKernels.js';
import { availableCores, forgetNodeWasm, nodeWasmThreads, setNodeWasmPaths, startNodeWasm, type WasmThreading } from './wasmNode.js';
import { installNodeWebGpu } from './webgpuNode.js';

/** A TF.js engine we can run on. */
export type EngineName = 'tensorflow' | 'native' | 'webgpu' | 'wasm' | 'cpu';
/** What a user may ask for: an engine, or 'auto'. */
export type BackendName = 'auto' | EngineName;
/** Every name `--backend` and useBackend take: 'auto' and each engine. */
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'native', 'wasm', 'cpu', 'tensorflow', 'webgpu'];
/**
 * The order in which 'auto' tries engines. native comes before webgpu: TF.js's WebGPU training step is slow even on
 * an H200 (590 images/s for our cnn, shared notes), below what oneDNN reaches on two CPU cores.
 */
export const AUTO_ORDER: readonly EngineName[] = ['tensorflow', 'native', 'webgpu', 'wasm', 'cpu'];

/** How useBackend starts an engine. */
export interface BackendOptions {
  /** native and wasm threads; default one per logical core. 1 runs wasm's single-threaded SIMD build. */
  threads?: number;
  /** Answers for 'auto' (tests inject their own). */
  probes?: BackendProbes;
}

/** Which engine runs, what was asked for, and why this one. */
export interface BackendChoice {
  requested: BackendName;
  backend: EngineName;
  /** One line: why this engine (and, for 'auto', why not the ones before it). */
  reason: string;
  /** wasm only: how many threads, and why fewer than asked. */
  wasm?: WasmThreading;
  /** native only: how many threads oneDNN and our kernels run on, and why fewer than asked. */
  native?: { threads: number; requested: number; fallbackReason: string | null };
  /** Why a thread count that was asked for is not used (the cpu backend runs one JavaScript thread). */
  threadsIgnored?: string;
}

/**
 * The engine 'auto' picks from the probes' answers: tensorflow when tfjs-node imports, else native when our oneDNN
 * addon loads, else webgpu when a hardware GPU adapter is found, else wasm. Pure; `reason` says why each earlier
 * engine was passed over.
 */
export function autoChoice(answers: { tensorflow: ProbeResult; native: ProbeResult; webgpu: ProbeResult }): { backend: EngineName; reason: string } {
  const { tensorflow, native, webgpu } = answers;
  if (tensorflow.ok) return { backend: 'tensorflow', reason: `auto: ${tensorflow.detail}` };
  if (native.ok) return { backend: 'native', reason: `auto: ${native.detail}; not tensorflow (${tensorflow.detail})` };
  const notNative = `not native (${native.detail})`;
  if (webgpu.ok) return { backend: 'webgpu', reason: `auto: GPU adapter ${webgpu.detail}; not tensorflow (${tensorflow.detail}); ${notNative}` };
  return { backend: 'wasm', reason: `auto: not tensorflow (${tensorflow.detail}); ${notNative}; not webgpu (${webgpu.detail})` };
}

/**
 * Starts one engine. `known` is what the webgpu probe already said (auto has asked), so that Dawn's child process runs
 * once.
 */
async function setEngine(name: EngineName, threads: number, probes: BackendProbes, known?: ProbeResult): Promise<WasmThreading | undefined> {
  switch (name) {
    case 'wasm':
      setNodeWasmPaths();
      registerWasmKernels();
      return startNodeWasm(threads);
    case 'native': {
      const load = loadNativeAddon();
      if (!load.ok) throw new UserError(`the native backend is not available: ${load.reason}`);
      registerNativeBackend(load.addon);
      load.addon.setThreads(Math.min(threads, availableCores()));
      break;
    }
    case 'tensorflow': {
      // importing tfjs-node is what registers the backend (a second import is free): always the real import
      const probe = await DEFAULT_PROBES.tensorflow();
      if (!probe.ok) throw new UserError(`the tensorflow backend is not available: ${probe.detail}`);
      break;
    }
    case 'webgpu': {
      // Asked for by name, a software adapter will do; with none, say so before Dawn is loaded here (it prints).
      const probe = known ?? (await probes.webgpu());
      if (probe.adapter !== true) throw new UserError(`the webgpu backend is not available: ${probe.detail}`);
      try {
        await installNodeWebGpu();
      } catch (e) {
        throw new UserError(`the webgpu backend is not available: ${firstLine(e)}`);
      }
      break;
    }
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new UserError(`the ${name} backend could not be initialised`);
  await tf.ready();
  return undefined;
}

/**
 * Selects and initialises a TF.js backend in Node, with the kernels our training needs: one of
 * tensorflow (tfjs-node), webgpu (Dawn via the npm `webgpu` package), wasm (multi-threaded where the runtime
 * allows) or cpu, or 'auto', which picks the first of those that is available and says why.
 */
export async function useBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendChoice> {
  if (!BACKEND_NAMES.includes(name)) throw new UserError(`unknown backend '${name}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  const threads = options.threads ?? availableCores();
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(`threads must be a positive integer, got ${threads}`);
  const withThreads = (choice: BackendChoice): BackendChoice => threadsOf(choice, threads, options.threads !== undefined);
  const probes = options.probes ?? DEFAULT_PROBES;
  let backend: EngineName;
  let reason: string;
  if (name === 'auto') {
    const notProbed: ProbeResult = { ok: false, detail: 'not probed' };
    const tensorflow = await probes.tensorflow();
    const native = tensorflow.ok ? notProbed : await probes.native();
    const webgpu = tensorflow.ok || native.ok ? notProbed : await probes.webgpu();
    ({ backend, reason } = autoChoice({ tensorflow, native, webgpu }));
    if (backend !== 'wasm') {
      try {
        await setEngine(backend, threads, probes, backend === 'webgpu' ? webgpu : undefined);
        return withThreads({ requested: name, backend, reason });
      } catch (e) {
        reason += `; ${backend} failed to start (${firstLine(e)}), so wasm`;
        backend = 'wasm';
      }
    }
    try {
      const wasm = (await setEngine('wasm', threads, probes))!;
      return { requested: name, backend: 'wasm', reason, wasm };
    } catch (e) {
      await setEngine('cpu', threads, probes);
      return { requested: name, backend: 'cpu', reason: `${reason}; wasm failed to start (${firstLine(e)}), so cpu` };
    }
  }
  reason = 'asked for';
  const wasm = await setEngine(name, threads, probes);
  return wasm === undefined ? withThreads({ requested: name, backend: name, reason }) : { requested: name, backend: name, reason, wasm };
}

/**
 * A native choice records its thread count, capped at the cores (more threads than cores only contend); wasm's is
 * recorded by startNodeWasm; the cpu backend says that it ignores a thread count that was asked for.
 */
function threadsOf(choice: BackendChoice, threads: number, asked: boolean): BackendChoice {
  if (choice.backend === 'native') {
    const cores = availableCores();
    const fallbackReason = threads > cores ? `this machine has ${cores} core${cores === 1 ? '' : 's'}` : null;
    return { ...choice, native: { threads: Math.min(threads, cores), requested: threads, fallbackReason } };
  }
  if (choice.backend === 'cpu' && asked) return { ...choice, threadsIgnored: 'the cpu backend runs one JavaScript thread; --threads is for native and wasm' };
  return choice;
}

/**
 * Releases what useBackend started, for a process that goes on without TF.js: disposes every tensor and variable
 * (models included) and every backend, which ends wasm's thread pool and frees its memory. Not needed for a script
 * to exit (the wasm threads never keep a process alive); useBackend starts a backend afresh afterwards.
 */
export function releaseBackend(): void {
  tf.engine().reset();
  forgetNodeWasm();
}

/**
 * The threads the current engine computes on: native's and wasm's thread counts, or null for an engine whose thread
 * count we do not set (cpu is single-threaded JavaScript; tensorflow and webgpu manage their own).
 */
export function engineThreads(): number | null {
  const backend = tf.getBackend();
  if (backend === 'wasm') return nodeWasmThreads();
  if (backend === 'native') {
    const load = loadNativeAddon();
    return load.ok ? load.addon.getThreads() : null;
  }
  return null;
}

/** One line saying which backend runs and why, for a reporter or a log. */
export function describeChoice(choice: BackendChoice): string {
  let line = `backend ${choice.backend}`;
  const threads = choice.wasm?.threads ?? choice.native?.threads;
  if (threads !== undefined) line += ` (${threads} thread${threads === 1 ? '' : 's'})`;
  if (choice.requested === 'auto') line += ` [${choice.reason}]`;
  if (choice.wasm?.fallbackReason) line += `; fewer wasm threads than asked (${choice.wasm.requested}): ${choice.wasm.fallbackReason}`;
  if (choice.native?.fallbackReason) line += `; fewer native threads than asked (${choice.native.requested}): ${choice.native.fallbackReason}`;
  if (choice.threadsIgnored !== undefined) line += `; ${choice.threadsIgnored}`;
  return line;
}
