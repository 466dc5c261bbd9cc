import type { Command } from 'commander';
import { parseQueueAddress, type QueueAddress } from '../queue/address.js';
import { sharedDirectoryStorage, type RunStorage } from '../queue/storage.js';
import { UserError } from '../util/errors.js';

/** The flags that addQueueOptions adds. */
export interface QueueFlags {
  queue?: string;
  runsDir?: string;
}

/** Adds --queue and --runs-dir to a command whose runs can be trained by the workers of a queue. */
export function addQueueOptions(command: Command): Command {
  return command
    .option('--queue <url>', 'train the runs on the workers of this queue, redis://HOST:PORT[/DB] (see `worker`)')
    .option('--runs-dir <dir>', 'with --queue: the run directories, on a file system every worker mounts');
}

/** --queue and --runs-dir go together; parsed before any work starts. Null without them (train here). */
export function queueSettings(flags: QueueFlags): { address: QueueAddress; storage: RunStorage } | null {
  if (flags.queue === undefined && flags.runsDir === undefined) return null;
  if (flags.queue === undefined) throw new UserError('--runs-dir is for runs on a queue: give --queue redis://HOST:PORT too');
  if (flags.runsDir === undefined) throw new UserError('--queue needs --runs-dir DIR: the run directories, on a file system every worker mounts');
  return { address: parseQueueAddress(flags.queue), storage: sharedDirectoryStorage(flags.runsDir) };
}
