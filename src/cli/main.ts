#!/usr/bin/env node
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { compareCommand } from './commands/compare.js';
import { distillCommand } from './commands/distill.js';
import { evaluateCommand } from './commands/evaluate.js';
import { landscapeCommand } from './commands/landscape.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';
import { firstLine } from '../util/errors.js';
import { version } from './version.js';

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  tf.enableProdMode();
  const program = new Command('snapshot-ensembles')
    .description('Snapshot Ensembles (Huang et al., ICLR 2017): train one network, get M for free')
    .version(version())
    .option('--verbose', 'print stack traces of errors')
    .addCommand(trainCommand())
    .addCommand(evaluateCommand())
    .addCommand(predictCommand())
    .addCommand(compareCommand())
    .addCommand(reportCommand())
    .addCommand(landscapeCommand())
    .addCommand(serveCommand())
    .addCommand(sweepCommand())
    .addCommand(workerCommand())
    .addCommand(exportCommand())
    .addCommand(distillCommand());
  for (const command of program.commands) command.option('--verbose', 'print stack traces of errors');
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    process.stderr.write(`error: ${firstLine(e)}\n`);
    if (verbose && e instanceof Error && e.stack !== undefined) process.stderr.write(e.stack + '\n');
    return 1;
  }
}

/** Resolves once everything written to a stream so far has been handed to the OS (pipes are asynchronous). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

async function exit(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

// A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv).then(exit, async (e: unknown) => {
  process.stderr.write(`error: ${firstLine(e)}\n`);
  await exit(1);
});
