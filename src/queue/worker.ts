import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { BackendName } from '../backend/backends.js';
import { connectionOptions, QUEUE_NAME, type QueueAddress } from './address.js';
import { jobLockOwner, type EndMessage, type FromTraining, type StartMessage } from './messages.js';
import { checkRunJob, type RunJob } from './runJob.js';
import type { RunStorage } from './storage.js';

const TRAINING_PROCESS = fileURLToPath(new URL('./trainingProcess.js', import.meta.url));

/** What a worker stores as its job's progress: where training is, and which worker trains it. */
export interface RunProgress {
  worker: string;
  iteration: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
}

/** Where a worker finds its jobs and their run directories, and how it trains them. */
export interface QueueWorkerOptions {
  address: QueueAddress;
  storage: RunStorage;
  /** Jobs trained at once, each in its own process (default 1). */
  concurrency?: number;
  backend?: BackendName;
  threads?: number;
  /** Shown on the coordinator's progress for the runs this worker trains (default HOST:PID). */
  name?: string;
  /** BullMQ's job lease: renewed every half of it; a job whose lease ran out is stalled (default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 30 s). */
  stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it is failed (default 5). */
  maxStalledCount?: number;
  /** Receives the worker's messages. */
  log?: (line: string) => void;
}

/** A running worker: its name, and how to stop it (the run in progress checkpoints and goes back to the queue). */
export interface QueueWorker {
  readonly name: string;
  /**
   * Stops taking jobs; every run in training finishes its step, writes a checkpoint and goes back to the queue
   * for any worker to resume. Resolves when the worker has let go of the queue.
   */
  stop(): Promise<void>;
}

/**
 * Takes runs from the queue and trains each in a child process (trainingProcess.ts), so that a CPU-bound step never
 * delays the renewal of the job's lease, into its run directory in `storage`, with checkpoints. A run whose
 * worker died is found stalled by another worker when its lease runs out, and resumed there from its checkpoint.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.log ?? (() => {});
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const train = async (job: Job, token: string | undefined): Promise<string> => {
    const data: RunJob = checkRunJob(job.data);
    const runDir = await options.storage.trainingDir(data.run);
    const child = fork(TRAINING_PROCESS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    children.set(job.id!, child);
    let end: EndMessage | null = null;
    let lastWrite = Promise.resolve();
    child.on('message', (m: FromTraining) => {
      if (m.type === 'end') end = m;
      else if (m.type === 'log') log(`${data.run}: ${m.line}`);
      else {
        const progress: RunProgress = { worker: name, iteration: m.iteration, totalSteps: m.totalSteps, epoch: m.epoch, epochs: m.epochs, loss: m.loss };
        lastWrite = lastWrite.then(() => job.updateProgress(progress as object)).catch(() => {});
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start: StartMessage = {
      type: 'start',
      job: data,
      runDir,
      teacherDir: data.teacher === undefined ? null : await options.storage.readableDir(data.teacher),
      lockOwner: `${jobLockOwner(QUEUE_NAME, job.id!)} attempt ${token ?? ''}`,
      jobOwner: jobLockOwner(QUEUE_NAME, job.id!),
      backend: options.backend ?? 'auto',
      threads: options.threads ?? null,
    };
    child.send(start);
    if (stopping) child.send({ type: 'stop' });
    log(`${data.run}: started (job attempt ${job.attemptsMade + 1}, ${job.stalledCounter ?? 0} stalls)`);
    const code = await exited;
    children.delete(job.id!);
    await lastWrite;
    await options.storage.finished(data.run);
    const ended = end as EndMessage | null;
    if (lost.delete(job.id!)) throw new Error(`${data.run}: this worker lost the job's lease; training stopped`);
    if (ended === null) throw new Error(`${data.run}: the training process exited with code ${code} before it ended the run`);
    if (ended.outcome === 'interrupted') {
      log(`${data.run}: stopped with a checkpoint; back to the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (ended.outcome === 'failed') {
      log(`${data.run}: failed: ${ended.error}`);
      throw ended.retryable ? new Error(ended.error ?? 'training failed') : new UnrecoverableError(ended.error ?? 'training failed');
    }
    log(`${data.run}: ${ended.outcome}`);
    return ended.outcome;
  };

  const lost = new Set<string>();
  const worker = new Worker(QUEUE_NAME, train, {
    connection: connectionOptions(options.address),
    name,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
  });
  // Another worker may now hold the job: stop writing to its run at once, no checkpoint.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const child = children.get(id);
      if (child === undefined) continue;
      lost.add(id);
      log(`job ${id}: lease lost; stopping its training process`);
      child.kill('SIGKILL');
    }
  });
  // Redis away: BullMQ retries for as long as it takes; say so once per outage, not once per try.
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) log(`queue: ${e.message}`);
    lastError = e.message;
  });
  worker.on('active', () => (lastError = ''));
  await worker.waitUntilReady();
  log(`worker ${name} on queue ${QUEUE_NAME}, runs in ${options.storage.description}, ${options.concurrency ?? 1} at a time`);
  return {
    name,
    async stop() {
      stopping = true;
      for (const child of children.values()) child.send({ type: 'stop' });
      await worker.close();
    },
  };
}
