/**
 * `snapshot-ensembles/queue`: a comparison's runs trained by workers on many machines, through a BullMQ queue in
 * Redis and a run directory every machine mounts.
 *
 * @packageDocumentation
 */
export { compareOnQueue, type QueuedCompareOptions } from '../queue/compareOnQueue.js';
export { queueExecutor, type QueueExecutor, type QueueExecutorOptions, type QueuedRun, type RunState } from '../queue/coordinator.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions, type RunProgress } from '../queue/worker.js';
export { parseQueueAddress, formatQueueAddress, QUEUE_NAME, DEFAULT_CONNECT_TIMEOUT_SECONDS, type QueueAddress } from '../queue/address.js';
export { sharedDirectoryStorage, type RunStorage } from '../queue/storage.js';
export { runJobOf, type RunJob, type RunJobSettings } from '../queue/runJob.js';
