import { Command } from 'commander';
import { parseQueueAddress, formatQueueAddress } from '../../queue/address.js';
import { sharedDirectoryStorage } from '../../queue/storage.js';
import { startQueueWorker } from '../../queue/worker.js';
import { addBackendOptions, type BackendFlags } from '../backendOption.js';
import { integer } from '../parsers.js';

interface WorkerFlags extends BackendFlags {
  queue: string;
  runsDir: string;
  concurrency: number;
  name?: string;
  lockDuration: number;
  stalledInterval: number;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function workerCommand(): Command {
  return addBackendOptions(
    new Command('worker')
      .description("train the runs of queued comparisons (compare --queue) until stopped; each run in its own process, with checkpoints")
      .requiredOption('--queue <url>', 'the queue, redis://HOST:PORT[/DB]')
      .requiredOption('--runs-dir <dir>', 'the run directories, on the file system the coordinator and every worker mount')
      .option('--concurrency <n>', 'runs trained at once', integer(1, 64), 1)
      .option('--name <name>', 'how the progress names this worker (default HOST:PID)')
      .option('--lock-duration <ms>', "the job's lease: a run whose worker stopped renewing it this long is handed to another worker", integer(1000), 30_000)
      .option('--stalled-interval <ms>', 'how often to look for runs whose worker died', integer(500), 30_000),
  ).action(async (flags: WorkerFlags) => {
    const address = parseQueueAddress(flags.queue);
    const log = (line: string) => process.stderr.write(line + '\n');
    const worker = await startQueueWorker({
      address,
      storage: sharedDirectoryStorage(flags.runsDir),
      concurrency: flags.concurrency,
      backend: flags.backend,
      ...(flags.threads === undefined ? {} : { threads: flags.threads }),
      ...(flags.name === undefined ? {} : { name: flags.name }),
      lockDurationMs: flags.lockDuration,
      stalledIntervalMs: flags.stalledInterval,
      log,
    });
    log(`waiting for runs on ${formatQueueAddress(address)}; Ctrl-C stops after the current step, with a checkpoint`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const s of SIGNALS) process.once(s, () => resolve(s));
    });
    // a second signal exits at once: the runs' leases run out and other workers take them from their last checkpoint
    for (const s of SIGNALS) process.once(s, () => process.exit(s === 'SIGTERM' ? 143 : 130));
    log(`received ${signal}: the runs in training finish their step, write a checkpoint and go back to the queue`);
    await worker.stop();
    log('worker stopped');
    process.exitCode = signal === 'SIGTERM' ? 143 : 130;
  });
}
