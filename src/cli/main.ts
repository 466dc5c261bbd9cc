#!/usr/bin/env node
import { Command } from 'commander';
import { firstLine } from '../util/errors.js';
import { COMMANDS } from './commandList.js';
import { version } from './version.js';

/**
 * The program: the command named in argv is loaded alone (with what it needs); without one, the program's own
 * --version and --help load no command at all.
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = new Command('snapshot-ensembles')
    .description('Snapshot Ensembles (Huang et al., ICLR 2017): train one network, get M for free')
    .version(version())
    .option('--verbose', 'print stack traces of errors');
  // `help train` is `train --help`
  const named = argv[2] === 'help' ? argv[3] : argv[2];
  const entry = COMMANDS.find((c) => c.name === named);
  if (entry === undefined) {
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
  } else {
    const command = await entry.load();
    command.option('--verbose', 'print stack traces of errors');
    program.addCommand(command);
    if (argv[2] === 'help') argv = [...argv.slice(0, 2), named!, '--help'];
  }
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
