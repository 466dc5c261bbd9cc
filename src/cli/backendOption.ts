import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { BACKEND_NAMES, describeChoice, useBackend, type BackendChoice, type BackendName } from '../backend/backends.js';
import { integer } from './parsers.js';

/** The flags that addBackendOptions adds. */
export interface BackendFlags {
  backend: BackendName;
  threads?: number;
}

/** Adds --backend and --threads to a command; every command that runs a model uses this one definition. */
export function addBackendOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--backend <name>', 'TF.js backend: auto picks tensorflow (tfjs-node) when installed, else native (our oneDNN engine) when its addon is built, else webgpu on a GPU, else wasm')
        .choices(BACKEND_NAMES)
        .default('auto'),
    )
    .option('--threads <n>', 'threads of the native and wasm engines (default: one per core; more than the cores are capped, with a warning)', integer(1, 256));
}

/** Starts the backend the flags ask for; returns the choice and the line that says what was picked and why. */
export async function startBackend(flags: BackendFlags): Promise<{ choice: BackendChoice; line: string }> {
  // the command line runs TF.js without its debug checks, as a program does
  tf.enableProdMode();
  const choice = await useBackend(flags.backend, flags.threads === undefined ? {} : { threads: flags.threads });
  return { choice, line: describeChoice(choice) };
}
