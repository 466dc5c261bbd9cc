import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

/**
 * Where the run directories of a queue live. Every worker trains into, and the coordinator reads from, the same
 * storage; a run is named by its job (RunJob.run). Today that is a directory every machine mounts (NFS, SMB, a
 * cloud file system); an object store would download a run's checkpoint in trainingDir and upload what training
 * wrote in finished, and the coordinator's readableDir would download the finished run.
 */
export interface RunStorage {
  /** Says where the runs are, for messages. */
  readonly description: string;
  /** A local directory to train `run` in, created if needed, holding what earlier attempts of the run left there. */
  trainingDir(run: string): Promise<string>;
  /** Called after training of `run` stopped (completed, interrupted or failed), with what it wrote in trainingDir. */
  finished(run: string): Promise<void>;
  /** A local directory holding `run` as last written (its run.json and snapshots), or null when there is none. */
  readableDir(run: string): Promise<string | null>;
}

/** Run directories under one directory of a shared file system, mounted at `root` on this machine. */
export function sharedDirectoryStorage(root: string): RunStorage {
  const base = path.resolve(root);
  const dirOf = (run: string) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(run)) throw new UserError(`not a run name: '${run}'`);
    return path.join(base, run);
  };
  return {
    description: base,
    async trainingDir(run) {
      const dir = dirOf(run);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    async finished() {},
    async readableDir(run) {
      const dir = dirOf(run);
      return existsSync(dir) ? dir : null;
    },
  };
}
