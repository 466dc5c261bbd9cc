import type { BackendName } from '../backend/backends.js';
import type { RunJob } from './runJob.js';
import type { RunJobOutcome } from './trainRunJob.js';

/*
 * The messages between a worker and the training process it starts for one job (over Node's IPC channel).
 */

/** Worker -> training process: train this job in runDir; `lockOwner` is this attempt, `jobOwner` any attempt of the job. */
export interface StartMessage {
  type: 'start';
  job: RunJob;
  runDir: string;
  /** A distilled student's teacher's run directory (null for other jobs). */
  teacherDir: string | null;
  lockOwner: string;
  jobOwner: string;
  backend: BackendName;
  threads: number | null;
}

/** Worker -> training process: finish the step, write a checkpoint and exit (the job goes back to the queue). */
export interface StopMessage {
  type: 'stop';
}

export type ToTraining = StartMessage | StopMessage;

export interface ProgressMessage {
  type: 'progress';
  iteration: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
}

export interface LogMessage {
  type: 'log';
  line: string;
}

/** The run ended: `retryable` false for errors a retry cannot fix (a bad configuration, a diverging loss). */
export interface EndMessage {
  type: 'end';
  outcome: RunJobOutcome | 'interrupted' | 'failed';
  error: string | null;
  retryable: boolean;
}

export type FromTraining = ProgressMessage | LogMessage | EndMessage;

/** The lock owner of every attempt of a job starts with this, so a later attempt recognises an earlier one's lock. */
export function jobLockOwner(queue: string, jobId: string): string {
  return `job ${queue}/${jobId}`;
}
