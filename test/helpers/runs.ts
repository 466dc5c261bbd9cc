import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { CLI, ROOT } from './cli.js';
import type { RunRecord } from '../../src/schema/run.js';

export function readRecord(runDir: string): RunRecord {
  return JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
}

export function fileSha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** sha256 of every snapshot's weights, in order. */
export function snapshotHashes(runDir: string): string[] {
  return readRecord(runDir).snapshots.map((s) => fileSha(path.join(runDir, s.path, 'weights.bin')));
}

export interface Background {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts the CLI in the background, collecting its stderr. */
export function startCli(args: string[]): Background {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1))));
  return { child, stderr: () => err, exited };
}

/** Resolves when the predicate holds, polling every 50 ms; rejects after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const checkpointWritten = (runDir: string) => () => existsSync(path.join(runDir, 'checkpoint', 'state.json'));

/** A classification run's (or comparison row's) evaluation, refusing a regression's: tests read its error. */
export function classified<T extends { task?: string } | null | undefined>(evaluation: T): Extract<NonNullable<T>, { task: 'classification' }> {
  if (evaluation == null || evaluation.task !== 'classification') throw new Error(`not a classification evaluation: ${JSON.stringify(evaluation)?.slice(0, 80)}`);
  return evaluation as Extract<NonNullable<T>, { task: 'classification' }>;
}
