export { parseQueueAddress, formatQueueAddress, QUEUE_NAME, type QueueAddress } from './address.js';
export { sharedDirectoryStorage, type RunStorage } from './storage.js';
export { runJobOf, trainConfigOf, snapshotPlanOf, type RunJob, type RunJobSettings } from './runJob.js';
export { trainRunJob, type RunJobOutcome } from './trainRunJob.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions, type RunProgress } from './worker.js';
export { queueExecutor, type QueueExecutor, type QueueExecutorOptions, type QueuedRun, type RunState } from './coordinator.js';
export { compareOnQueue, type QueuedCompareOptions } from './compareOnQueue.js';
export { readExecutedRun } from './readExecutedRun.js';
