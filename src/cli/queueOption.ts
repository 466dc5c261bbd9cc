import type { Command } from 'commander';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, parseQueueAddress, type QueueAddress } from '../queue/address.js';
import { positiveNumber } from './parsers.js';
import { sharedDirectoryStorage, type RunStorage } from '../queue/storage.js';
import { UserError } from '../util/errors.js';

/** The flags that addQueueOptions adds. */
export interface QueueFlags {
  queue?: string;
  runsDir?: string;
  queueTimeout?: number;
}

/** Adds --queue and --runs-dir to a command whose runs can be trained by the workers of a queue. */
export function addQueueOptions(command: Command): Command {
  return command
    .option('--queue <url>', 'train the runs on the workers of this queue, redis://HOST:PORT[/DB] (see `worker`)')
    .option('--runs-dir <dir>', 'with --queue: the run directories, on a file system every worker mounts')
    .option('--queue-timeout <seconds>', `with --queue: how long to wait for Redis to answer before giving up (default ${DEFAULT_CONNECT_TIMEOUT_SECONDS})`, positiveNumber);
}

/** --queue and --runs-dir go together; parsed before any work starts. Null without them (train here). */
export function queueSettings(flags: QueueFlags): { address: QueueAddress; storage: RunStorage; connectTimeoutSeconds: number } | null {
  if (flags.queue === undefined && flags.runsDir === undefined) {
    if (flags.queueTimeout !== undefined) throw new UserError('--queue-timeout is for runs on a queue: give --queue redis://HOST:PORT too');
    return null;
  }
  if (flags.queue === undefined) throw new UserError('--runs-dir is for runs on a queue: give --queue redis://HOST:PORT too');
  if (flags.runsDir === undefined) throw new UserError('--queue needs --runs-dir DIR: the run directories, on a file system every worker mounts');
  return {
    address: parseQueueAddress(flags.queue),
    storage: sharedDirectoryStorage(flags.runsDir),
    connectTimeoutSeconds: flags.queueTimeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
  };
}
