import type { ConnectionOptions, Queue } from 'bullmq';
import { UserError } from '../util/errors.js';

/** The BullMQ queue every coordinator and worker of snapshot-ensembles uses (one per Redis database). */
export const QUEUE_NAME = 'snapshot-ensembles-runs';

/** Where the queue's Redis listens: --queue redis://HOST:PORT[/DB]. */
export interface QueueAddress {
  host: string;
  port: number;
  db: number;
}

/** Parses redis://HOST:PORT[/DB] (port 6379 when left out, database 0); a one-line error for anything else. */
export function parseQueueAddress(url: string): QueueAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--queue: cannot read '${url}' (expected redis://HOST:PORT[/DB])`);
  }
  if (parsed.protocol !== 'redis:' || parsed.hostname === '') throw new UserError(`--queue: '${url}' is not a redis://HOST:PORT[/DB] address`);
  const dbPart = parsed.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(dbPart)) throw new UserError(`--queue: '${dbPart}' in '${url}' is not a database number`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port === '' ? 6379 : Number(parsed.port), db: dbPart === '' ? 0 : Number(dbPart) };
}

/** A queue address as redis://HOST:PORT/DB. */
export function formatQueueAddress(a: QueueAddress): string {
  return `redis://${a.host}:${a.port}/${a.db}`;
}

/** How long a coordinator waits for the queue's Redis to answer at the start (--queue-timeout), in seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/**
 * Waits until the queue's Redis answers, at most `seconds`: otherwise closes the queue and throws a one-line error
 * with the last connection error (a Redis that is not running is retried for ever once connected, so a
 * coordinator checks that it is there before it waits on it).
 */
export async function connectQueue(queue: Queue, address: QueueAddress, seconds: number): Promise<void> {
  let lastError = 'no answer';
  const onError = (e: Error) => (lastError = e.message);
  queue.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready = await Promise.race([
      queue.waitUntilReady().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), seconds * 1000))),
    ]);
    if (ready) return;
    await Promise.race([queue.close(), new Promise((resolve) => setTimeout(resolve, 1000))]);
    throw new UserError(`cannot reach the queue's Redis at ${formatQueueAddress(address)} within ${seconds} s (${lastError}): start it, or check --queue (--queue-timeout sets the wait)`);
  } finally {
    clearTimeout(timer);
    queue.off('error', onError);
  }
}

/**
 * ioredis settings for BullMQ: commands wait through a lost connection instead of failing (maxRetriesPerRequest null,
 * which BullMQ's workers require), and reconnection is retried every 0.2..2 s for as long as Redis is away.
 */
export function connectionOptions(a: QueueAddress): ConnectionOptions {
  return {
    host: a.host,
    port: a.port,
    db: a.db,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}
