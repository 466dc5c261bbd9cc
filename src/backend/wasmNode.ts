import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { firstLine } from '../util/errors.js';

/** How the wasm backend was started: the number of threads it runs, and why not more when fewer were asked for. */
export interface WasmThreading {
  requested: number;
  threads: number;
  /** Why the backend runs fewer threads than requested; null when it runs as many. */
  fallbackReason: string | null;
}

const require = createRequire(import.meta.url);
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** The folder of the installed @tensorflow/tfjs-backend-wasm package's dist/ (the .wasm binaries live there). */
function wasmDistDir(): string {
  return path.dirname(require.resolve(WASM_PACKAGE));
}

let pathsSet = false;

/** Points the wasm backend at the .wasm binaries inside the installed package (Node cannot fetch them by URL). */
export function setNodeWasmPaths(): void {
  if (pathsSet) return;
  setWasmPaths(wasmDistDir() + path.sep);
  pathsSet = true;
}

/** Logical cores Node may use: one wasm thread per core. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Writes the Emscripten pthread worker of the threaded wasm build to a real file, since Node's worker_threads cannot
 * load the blob: URL that tfjs-backend-wasm hands it. The worker's own URL.createObjectURL is replaced so that the
 * main script it is sent (a Blob too) is read from the package's standalone build in wasm-out/ instead.
 */
function writeWorkerFile(): string {
  const outDir = path.join(path.dirname(wasmDistDir()), 'wasm-out');
  const { wasmWorkerContents } = require(`${WASM_PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`) as { wasmWorkerContents: string };
  const mainScript = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing`);
  // The contents are a JavaScript template literal: its "\n" escapes inside strings became real newlines.
  const source =
    `'use strict';\nconst mainScript = ${JSON.stringify(mainScript)};\n` +
    `URL.createObjectURL = () => mainScript;\nURL.revokeObjectURL = () => {};\n` +
    wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `snapshot-ensembles-wasm-worker-${hash}.cjs`);
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, source);
    renameSync(temp, file);
  }
  return file;
}

/**
 * Prepares multi-threaded wasm in Node before the backend is initialised. tfjs-backend-wasm 4.22 turns threads off
 * under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag returns false there), hands the pthread worker to Emscripten as
 * a blob: URL that Node cannot load, and its pool takes at most half the logical cores. This sets the flag, maps the
 * worker URL to a real file, and returns a function that, while the backend initialises, reports enough cores for
 * the requested thread count; call the returned `restore` once initialisation is over.
 */
export function prepareNodeWasmThreads(requested: number): { restore: () => void } {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const workerFile = writeWorkerFile();
  const createObjectURL = URL.createObjectURL.bind(URL);
  const cpus = os.cpus;
  URL.createObjectURL = (blob: Blob) => (blob.type === 'application/javascript' ? workerFile : createObjectURL(blob));
  // The pool is capped at half of what emscripten_num_logical_cores() reports: report twice the requested count.
  os.cpus = () => {
    const real = cpus();
    const reported = Array.from({ length: Math.max(real.length, 2 * requested) }, (_, i) => real[i % Math.max(real.length, 1)]!);
    return reported;
  };
  setThreadsCount(requested);
  return {
    restore: () => {
      os.cpus = cpus;
      URL.createObjectURL = createObjectURL;
    },
  };
}

/** Single-threaded wasm: the plain SIMD build, no workers. */
function disableWasmThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
}


/** The part of Emscripten's pthread pool we touch: its Node worker_threads Workers. */
interface PThreadPool {
  runningWorkers: { unref(): void }[];
  unusedWorkers: { unref(): void }[];
}

/**
 * Lets a process exit while the wasm thread pool is alive. Emscripten ref()s the Worker of every running pthread,
 * and XNNPACK's pool threads run (waiting for work) as long as the backend lives, so without this a script that has
 * done its work never exits. The pool is created when the backend initialises; unref'd, its Workers end with the
 * process. Work is never lost: the main thread waits for the pool synchronously inside every kernel.
 */
function unrefWasmThreads(): void {
  const pool = (tf.backend() as unknown as { wasm?: { PThread?: PThreadPool } }).wasm?.PThread;
  for (const worker of [...(pool?.runningWorkers ?? []), ...(pool?.unusedWorkers ?? [])]) worker.unref();
}

/** Tries the threaded build; the reason it could not run, or the threading it runs with. */
async function startThreaded(requested: number): Promise<WasmThreading | string> {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  let restore = () => {};
  try {
    restore = prepareNodeWasmThreads(requested).restore;
    if (!(await tf.setBackend('wasm'))) return 'the multi-threaded wasm build failed to initialise';
    await tf.ready();
    unrefWasmThreads();
    const threads = getThreadsCount();
    return { requested, threads, fallbackReason: threads < requested ? `the wasm thread pool started only ${threads} thread(s)` : null };
  } catch (e) {
    return `multi-threaded wasm failed: ${firstLine(e)}`;
  } finally {
    restore();
  }
}

let started: WasmThreading | null = null;

/** The number of threads the wasm backend runs in this process, or null before it has started. */
export function nodeWasmThreads(): number | null {
  return started?.threads ?? null;
}

/** Forgets how wasm was started, once its backend has been disposed (releaseBackend): the next start prepares anew. */
export function forgetNodeWasm(): void {
  started = null;
}

/**
 * Makes wasm the backend, with `requested` threads where the runtime allows (else the single-threaded SIMD build,
 * and the reason). The module starts once per process: later calls get the thread count it started with.
 */
export async function startNodeWasm(requested: number): Promise<WasmThreading> {
  if (started !== null) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend could not be initialised');
    const { threads } = started;
    return { requested, threads, fallbackReason: threads === requested ? null : `the wasm backend already runs ${threads} thread(s) in this process` };
  }
  let fallbackReason: string | null = null;
  if (requested > 1) {
    const threaded = await startThreaded(requested);
    if (typeof threaded !== 'string') return (started = threaded);
    fallbackReason = threaded;
  }
  disableWasmThreads();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend could not be initialised');
  await tf.ready();
  started = { requested, threads: getThreadsCount(), fallbackReason };
  return started;
}
