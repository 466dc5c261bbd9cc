import { hostname } from 'node:os';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/**
 * Takes the run directory's lock (RUN_DIR/.lock, created exclusively, holding pid, host and start time) and returns
 * the function that releases it. Refuses while another live process on this host holds it; a lock whose process is
 * gone (killed, crashed) is stale and is replaced.
 */
export function acquireRunLock(runDir: string): () => void {
  const file = path.join(runDir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    if (holder !== null && holder.pid !== process.pid && holder.host === me.host && alive(holder.pid)) {
      throw new UserError(`${runDir} is in use by process ${holder.pid} (since ${holder.since}); wait for it or stop it`);
    }
    if (holder !== null && holder.host !== me.host) {
      throw new UserError(`${runDir} is locked by process ${holder.pid} on host ${holder.host}; remove ${file} if that run is dead`);
    }
    // Stale: its process is gone (or the file is unreadable). Replace it.
    rmSync(file, { force: true });
  }
  throw new UserError(`${runDir}: could not take the lock ${file}`);
}
