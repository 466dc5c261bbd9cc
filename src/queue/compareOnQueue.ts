import { isCompareDirectory, readCompareResult } from '../compare/readResult.js';
import type { CompareResult } from '../schema/compare.js';
import { runCompare, type CompareOptions } from '../compare/runCompare.js';
import type { QueueAddress } from './address.js';
import { queueExecutor, type QueuedRun } from './coordinator.js';
import type { RunStorage } from './storage.js';

/** A comparison on a queue: runCompare's options, the queue's address and the run storage every machine shares. */
export interface QueuedCompareOptions extends Omit<CompareOptions, 'executor'> {
  address: QueueAddress;
  storage: RunStorage;
  /** Called about once a second with where every run stands. */
  onProgress?: (runs: readonly QueuedRun[]) => void;
  /** Receives the coordinator's messages (runs enqueued, Redis away and back). */
  log?: (line: string) => void;
  pollMs?: number;
  connectTimeoutSeconds?: number;
}

/**
 * `compare` with its runs trained by the workers of a queue: planned, summarised and written exactly as runCompare
 * does on one machine. The same command started again (after the coordinator was stopped or killed) takes over its
 * own output directory, finds its jobs queued, running or done, and only waits; a directory that holds another
 * comparison is refused unless overwrite.
 */
export async function compareOnQueue(options: QueuedCompareOptions): Promise<CompareResult> {
  const { outDir } = options;
  const same = outDir !== null && isCompareDirectory(outDir) && JSON.stringify(readCompareResult(outDir).config) === JSON.stringify(options.config);
  const executor = queueExecutor({
    address: options.address,
    storage: options.storage,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.connectTimeoutSeconds === undefined ? {} : { connectTimeoutSeconds: options.connectTimeoutSeconds }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs, progressMs: 2 * options.pollMs }),
  });
  try {
    return await runCompare({ ...options, overwrite: (options.overwrite ?? false) || same, executor });
  } finally {
    await executor.close();
  }
}
