/*
 * The training process of one queued job, started by a worker (worker.ts) with an IPC channel: it trains the run
 * with the library's own code and tells the worker how far it got. It knows nothing of the queue: the worker holds
 * the job's lease and renews it while this process computes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, describeChoice } from '../backend/backends.js';
import { DivergenceError, TrainingInterrupted } from '../training/trainLoop.js';
import { firstLine, UserError } from '../util/errors.js';
import type { FromTraining, StartMessage, ToTraining } from './messages.js';
import { trainRunJob } from './trainRunJob.js';

const send = (m: FromTraining) => new Promise<void>((resolve) => (process.connected ? process.send!(m, () => resolve()) : resolve()));

tf.enableProdMode();
let stop = false;
// The worker died (its channel closed): another worker will be handed the job; stop writing to the run at once.
process.on('disconnect', () => process.exit(1));
// Ctrl-C reaches the whole process group; the worker decides, so a signal here only asks for a polite stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (stop = true));

async function train(start: StartMessage): Promise<void> {
  const choice = await useBackend(start.backend, start.threads === null ? {} : { threads: start.threads });
  await send({ type: 'log', line: describeChoice(choice) });
  let lastProgress = 0;
  try {
    const outcome = await trainRunJob(start.job, start.runDir, {
      evaluate: false,
      checkpointEvery: 1,
      shouldStop: () => stop,
      lock: { owner: start.lockOwner, isStale: (holder) => holder.owner !== undefined && holder.owner.startsWith(`${start.jobOwner} `) },
      reporter: {
        step: (p) => {
          const now = Date.now();
          if (now - lastProgress < 500 && p.iteration < p.totalSteps) return;
          lastProgress = now;
          void send({ type: 'progress', iteration: p.iteration, totalSteps: p.totalSteps, epoch: p.epoch, epochs: p.epochs, loss: p.loss });
        },
        info: (line) => void send({ type: 'log', line }),
        warn: (line) => void send({ type: 'log', line: `warning: ${line}` }),
      },
    }, start.teacherDir);
    await send({ type: 'end', outcome, error: null, retryable: false });
  } catch (e) {
    if (e instanceof TrainingInterrupted) await send({ type: 'end', outcome: 'interrupted', error: null, retryable: true });
    else {
      const retryable = !(e instanceof UserError || e instanceof DivergenceError);
      await send({ type: 'end', outcome: 'failed', error: firstLine(e), retryable });
    }
  }
}

process.on('message', (m: ToTraining) => {
  if (m.type === 'stop') stop = true;
  else
    train(m).then(
      () => process.exit(0),
      async (e: unknown) => {
        await send({ type: 'end', outcome: 'failed', error: firstLine(e), retryable: true });
        process.exit(1);
      },
    );
});
