import { hostname } from 'node:os';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { temporarySibling } from '../io/atomicWrite.js';

export const LOCK_FILE = '.lock';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Who holds the lock beyond the process, e.g. a queue's job and its attempt (absent for a plain `train`). */
  owner?: string;
}

/** How a lock is taken: who takes it, and which other holders count as gone whatever their pid and host say. */
export interface RunLockOptions {
  owner?: string;
  /**
   * True for a holder known to be gone by something other than its pid: for a run of a queue, a lock taken for an
   * earlier attempt of the same job, whose lease the queue has since handed to this process.
   */
  isStale?: (holder: LockInfo) => boolean;
}

/**
 * The state letter of a process in /proc/PID/stat (the field after the parenthesised command name, which may itself
 * hold spaces or parentheses): 'R', 'S', 'Z' (zombie) and so on; null where there is no /proc entry to read.
 */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}

/**
 * Whether a process can still be using the lock. A killed process stays a zombie (it answers kill -0) until its
 * parent reaps it, but it has run its last instruction: a zombie ('Z') or one being torn down ('X') is dead.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/** The lock of a run directory as it stands, or null when there is none or it cannot be read. */
export function readRunLock(runDir: string): LockInfo | null {
  return readLock(path.join(runDir, LOCK_FILE));
}

function readLock(file: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/**
 * Creates `file` holding `info`, or returns false when it exists. The content is written to a temporary sibling first
 * and hard-linked into place, which fails atomically when the file exists: no other process ever sees a lock without
 * its content.
 */
function createLock(file: string, info: LockInfo): boolean {
  const tmp = temporarySibling(file);
  writeFileSync(tmp, JSON.stringify(info));
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Takes the run directory's lock (RUN_DIR/.lock, created atomically, holding pid, host and start time) and returns
 * the function that releases it. Refuses while another live process on this host holds it; a lock whose process is
 * gone (killed, crashed, or a zombie not yet reaped by its parent) is stale and is replaced, and so is one that
 * options.isStale judges gone (a holder on another host, whose pid means nothing here, judged by its queue job's state).
 */
export function acquireRunLock(runDir: string, options: RunLockOptions = {}): () => void {
  const file = path.join(runDir, LOCK_FILE);
  const me: LockInfo = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(options.owner === undefined ? {} : { owner: options.owner }),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(file, me)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const now = readLock(file);
        if (now?.pid === me.pid && now.host === me.host && now.since === me.since) rmSync(file, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    }
    const holder = readLock(file);
    if (holder === null) {
      throw new UserError(`${runDir}: the lock ${file} cannot be read; remove it if no process is using this run`);
    }
    const judgedStale = options.isStale?.(holder) === true;
    if (!judgedStale && holder.pid !== process.pid && holder.host === me.host && alive(holder.pid)) {
      throw new UserError(`${runDir} is in use by process ${holder.pid} (since ${holder.since}); wait for it or stop it`);
    }
    if (!judgedStale && holder.host !== me.host) {
      throw new UserError(`${runDir} is locked by process ${holder.pid} on host ${holder.host}; remove ${file} if that run is dead`);
    }
    // Stale: its process is gone (or its job was handed over). Replace it, unless another process replaced it first (then the loop meets theirs).
    const again = readLock(file);
    if (again !== null && again.pid === holder.pid && again.since === holder.since) rmSync(file, { force: true });
  }
  throw new UserError(`${runDir}: could not take the lock ${file}`);
}
