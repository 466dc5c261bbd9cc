import { BACKEND_NAMES, type BackendName } from '../backend/backends.js';
import { readRunRecord } from '../run/runRecord.js';
import type { SessionFlags } from './trainingSession.js';
import type { RunRecord } from '../schema/run.js';

/** How a resumed run is continued: its session flags, and what to say before it goes on. */
export interface ResumedSession<T extends SessionFlags> {
  flags: T;
  /** Said once training has started: the engine or thread count differs from the run's, so results will too. */
  warnings: string[];
  /** Explains a recorded engine that cannot start here, with how to choose another (null: the user chose it). */
  unavailable: ((reason: string) => string) | null;
}

/**
 * A resumed run continues on the engine and thread count recorded in its run.json, and writes report.html or not
 * as its first command said, so that it ends bitwise as an uninterrupted run would. A --backend, --threads or
 * --report/--no-report given with --resume wins, with a warning where the numbers will then differ. Pure.
 */
export function resumedSession<T extends SessionFlags>(flags: T, record: RunRecord, given: (flag: string) => boolean): ResumedSession<T> {
  const recordedBackend = BACKEND_NAMES.includes(record.backend as BackendName) ? (record.backend as BackendName) : null;
  const recordedThreads = record.threads ?? undefined;
  const backend = given('backend') || recordedBackend === null ? flags.backend : recordedBackend;
  const threads = given('threads') ? flags.threads : recordedBackend === backend ? (recordedThreads ?? flags.threads) : flags.threads;
  const warnings: string[] = [];
  const notBitwise = 'its snapshots will not be bitwise those of an uninterrupted run';
  if (given('backend') && backend !== record.backend) {
    warnings.push(`the run trained on ${record.backend} and resumes on ${backend}: ${notBitwise}`);
  } else if (given('threads') && recordedThreads != null && threads !== recordedThreads) {
    warnings.push(`the run trained on ${recordedThreads} ${record.backend} thread(s) and resumes on ${threads}: ${notBitwise}`);
  }
  const report = given('report') ? flags.report : (record.report ?? true);
  const unavailable = given('backend')
    ? null
    : (reason: string) =>
        `${reason}; the run trained on ${record.backend}: resume it on another engine with --backend NAME (${notBitwise})`;
  return { flags: { ...flags, backend, report, ...(threads === undefined ? {} : { threads }) }, warnings, unavailable };
}

/** A command's session flags: as given for a new run, or as resumedSession makes them for `--resume DIR`. */
export function sessionFlags<T extends SessionFlags>(
  flags: T,
  resumeDir: string | undefined,
  given: (flag: string) => boolean,
): { flags: T; resumed?: ResumedSession<T> } {
  if (resumeDir === undefined) return { flags };
  const resumed = resumedSession(flags, readRunRecord(resumeDir), given);
  return { flags: resumed.flags, resumed };
}
