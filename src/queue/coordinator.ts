import { existsSync } from 'node:fs';
import { Queue, type Job } from 'bullmq';
import type { RunData } from '../compare/executeRun.js';
import type { ComparePlan } from '../compare/plan.js';
import { CompareInterrupted, type RunExecutor } from '../compare/runCompare.js';
import { readRunRecord, runJsonPath } from '../run/runRecord.js';
import { UserError } from '../util/errors.js';
import { connectionOptions, connectQueue, DEFAULT_CONNECT_TIMEOUT_SECONDS, QUEUE_NAME, type QueueAddress } from './address.js';
import { readExecutedRun, runInfoOf } from './readExecutedRun.js';
import { runJobOf, type RunJob } from './runJob.js';
import type { RunStorage } from './storage.js';
import type { RunProgress } from './worker.js';
import type { RunRecord } from '../schema/run.js';
import type { RunSpec } from '../schema/runSpec.js';

/** Where a queued run stands. */
export type RunState = 'done' | 'running' | 'queued' | 'failed';

/** Where one run of a queued comparison stands. */
export interface QueuedRun {
  /** The run's id in the comparison (RunSpec.id) and its job (RunJob.run). */
  id: string;
  job: string;
  state: RunState;
  /** The worker training it (running), or that trained it. */
  worker: string | null;
  iteration: number;
  totalSteps: number;
  error: string | null;
}

/** Where the queue and the runs are, and how the coordinator waits for them. */
export interface QueueExecutorOptions {
  address: QueueAddress;
  storage: RunStorage;
  /** Called about once a second with every run of the comparison. */
  onProgress?: (runs: readonly QueuedRun[]) => void;
  /** Receives the coordinator's messages. */
  log?: (line: string) => void;
  /** How often a run is looked for (default 500 ms) and the progress refreshed (default 1 s). */
  pollMs?: number;
  progressMs?: number;
  /** Tries of a run that fails for a reason a retry may fix, such as a crash (default 3). */
  attempts?: number;
  /** Seconds to wait for Redis to answer before the first job is enqueued (default DEFAULT_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutSeconds?: number;
}

export interface QueueExecutor extends RunExecutor {
  /** Stops watching the runs and closes the connection to Redis. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `work` raced against a stop request, asked every 200 ms: a call to a Redis that went away waits for it to come
 * back, and a Ctrl-C must not wait with it.
 */
async function unlessStopped<T>(work: Promise<T>, shouldStop: (() => boolean) | undefined, what: string): Promise<T> {
  if (shouldStop === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const check = () => {
      if (shouldStop()) reject(new CompareInterrupted(what));
      else timer = setTimeout(check, 200);
    };
    check();
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    clearTimeout(timer);
  }
}

function completedRecord(dir: string | null): RunRecord | null {
  if (dir === null || !existsSync(runJsonPath(dir))) return null;
  const record = readRunRecord(dir);
  return record.status === 'completed' ? record : null;
}

/**
 * Runs a comparison's runs on the workers of a queue: prepare enqueues every run as a job whose id is its run's name
 * (so a comparison started again finds its jobs queued, running or done and only waits), run waits until the run's
 * directory in `storage` holds the completed run (or its job failed) and reads its members from there. A job
 * the queue lost (Redis restarted without its data) is enqueued again; its run resumes from its checkpoint.
 */
export function queueExecutor(options: QueueExecutorOptions): QueueExecutor {
  const { storage } = options;
  const log = options.log ?? (() => {});
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(options.address) });
  // Once connected (connectQueue), reconnection is retried for as long as Redis is away, and a poll that fails is
  // tried again: say so once. Before that, connectQueue says what went wrong.
  let connected = false;
  let away = false;
  queue.on('error', (e) => {
    if (connected && !away) log(`queue: ${e.message}; retrying until Redis answers`);
    if (connected) away = true;
  });
  const jobs = new Map<string, RunJob>();
  const states = new Map<string, QueuedRun>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const enqueue = (job: RunJob) =>
    queue.add('run', job, {
      jobId: job.run,
      attempts: options.attempts ?? 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });

  const stateOf = async (spec: string, job: RunJob): Promise<QueuedRun> => {
    const base = { id: spec, job: job.run, worker: null, iteration: 0, totalSteps: 0, error: null };
    if (states.get(spec)?.state === 'done') return states.get(spec)!;
    const record = completedRecord(await storage.readableDir(job.run));
    if (record !== null) return { ...base, state: 'done', iteration: record.totalSteps, totalSteps: record.totalSteps };
    const found: Job | undefined = await queue.getJob(job.run);
    if (found === undefined) return { ...base, state: 'queued' };
    const state = await found.getState();
    const progress = typeof found.progress === 'object' ? (found.progress as Partial<RunProgress>) : {};
    const where = { worker: progress.worker ?? found.processedBy ?? null, iteration: progress.iteration ?? 0, totalSteps: progress.totalSteps ?? 0 };
    if (state === 'failed') return { ...base, ...where, state: 'failed', error: found.failedReason };
    if (state === 'active') return { ...base, ...where, state: 'running' };
    return { ...base, ...where, state: 'queued' };
  };

  const refresh = async () => {
    try {
      for (const [spec, job] of jobs) states.set(spec, await stateOf(spec, job));
      if (away) log('queue: Redis answers again');
      away = false;
      if (jobs.size > 0) options.onProgress?.([...states.values()]);
    } catch {
      // Redis away or a run.json being replaced: the next tick tries again
    }
  };

  return {
    async prepare(plan: ComparePlan, config) {
      await connectQueue(queue, options.address, options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS);
      connected = true;
      if (config.source.kind === 'memory') throw new UserError(`--queue: the examples ('${config.source.name}') were given in memory, which the workers cannot read; give them as files`);
      let known = 0;
      let students = 0;
      for (const seed of plan.seeds) {
        const ofSeed = new Map<string, RunJob>();
        for (const spec of seed.runs) {
          // a student's job names its teacher's, whose run it learns from; it is enqueued once that run is done
          const job = runJobOf(spec, config, spec.distill === undefined ? undefined : ofSeed.get(spec.distill.teacher)!.run);
          ofSeed.set(spec.id, job);
          jobs.set(spec.id, job);
          if (completedRecord(await storage.readableDir(job.run)) !== null || (await queue.getJob(job.run)) !== undefined) known++;
          else if (spec.distill !== undefined) students++;
          else await enqueue(job);
        }
      }
      const enqueued = jobs.size - known - students;
      log(
        `queue ${QUEUE_NAME}: ${enqueued} runs enqueued, ${known} already queued or done` +
          (students > 0 ? `, ${students} distilled student${students === 1 ? '' : 's'} to enqueue once ${students === 1 ? 'its teacher is' : 'their teachers are'} done` : '') +
          `; runs in ${storage.description}`,
      );
      await refresh();
      const tick = async () => {
        await refresh();
        if (!closed) timer = setTimeout(() => void tick(), options.progressMs ?? 1000);
      };
      timer = setTimeout(() => void tick(), options.progressMs ?? 1000);
    },

    async run(spec: RunSpec, _config, data: RunData, _reporter, shouldStop) {
      const job = jobs.get(spec.id);
      if (job === undefined) throw new Error(`queue: run ${spec.id} was not prepared`);
      const stopped = `stopped while waiting for run ${spec.id}; its job stays queued`;
      if (spec.distill !== undefined && completedRecord(await storage.readableDir(job.run)) === null && (await unlessStopped(queue.getJob(job.run), shouldStop, stopped)) === undefined) {
        await unlessStopped(enqueue(job), shouldStop, stopped);
        log(`${job.run}: enqueued, its teacher ${job.teacher} being done`);
      }
      for (;;) {
        if (shouldStop?.() === true) throw new CompareInterrupted(stopped);
        const dir = await storage.readableDir(job.run);
        if (completedRecord(dir) !== null) return await readExecutedRun(dir!, spec, data);
        const found = await unlessStopped(queue.getJob(job.run), shouldStop, stopped);
        if (found === undefined) {
          log(`${job.run}: not in the queue (was Redis restarted without its data?); enqueued again`);
          await unlessStopped(enqueue(job), shouldStop, stopped);
        } else {
          const state = await unlessStopped(found.getState(), shouldStop, stopped);
          if (state === 'failed') {
            const record = dir !== null && existsSync(runJsonPath(dir)) ? readRunRecord(dir) : null;
            return { info: runInfoOf(spec, record, found.failedReason || 'failed'), members: new Map(), samples: [], weights: new Map() };
          }
          if (state === 'completed') {
            const now = await storage.readableDir(job.run);
            if (completedRecord(now) !== null) return await readExecutedRun(now!, spec, data);
            throw new UserError(
              `run ${spec.id} completed on worker ${found.processedBy ?? '?'} but ${storage.description}/${job.run} holds no completed run here: ` +
                'every worker and the coordinator need the same shared --runs-dir',
            );
          }
        }
        await sleep(options.pollMs ?? 500);
      }
    },

    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      // a last look at the runs, and a polite close, but not a wait for a Redis that went away
      const bounded = (work: Promise<unknown>) => Promise.race([work, sleep(2000)]);
      if (!away) await bounded(refresh());
      await bounded(away ? queue.disconnect() : queue.close());
    },
  };
}
