import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { evaluateRun, unfinishedRunNote } from '../src/ensemble/evaluateRun.js';
import { acquireRunLock, LOCK_FILE } from '../src/run/runLock.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { resumeSnapshotEnsemble } from '../src/run/resume.js';
import { TrainingInterrupted } from '../src/training/trainLoop.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { readRecord, waitFor } from './helpers/runs.js';

describe('the resume message names the epoch of the iteration it resumes at', () => {
  beforeAll(async () => {
    await useBackend('wasm', { threads: 1 });
  });

  it('a run stopped at the end of epoch 1 resumes at iteration 5, in epoch 2', async () => {
    const dataset = loadIdxDataset(undefined, { trainSize: 64, testSize: 16 });
    const config = { ...DEFAULT_TRAIN_CONFIG, batchSize: 16, epochs: 2, cycles: 1, trainSize: 64, testSize: 16, augment: false };
    const outDir = tempDir();
    let epochsEnded = 0;
    // asked after every iteration and at every epoch's end: true once epoch 1 ended stops there, on the boundary
    const stopped = trainSnapshotEnsemble({ config, dataset, outDir, evaluate: false, reporter: { epoch: () => epochsEnded++ }, shouldStop: () => epochsEnded >= 1 });
    await expect(stopped).rejects.toBeInstanceOf(TrainingInterrupted);
    const messages: string[] = [];
    await resumeSnapshotEnsemble(outDir, { evaluate: false, reporter: { info: (m) => messages.push(m) } });
    expect(messages[0]).toBe(`resuming ${outDir} at iteration 5 of 8 (epoch 2 of 2)`);
  });
});

describe('a run whose process exits during training (a second Ctrl-C exits at once)', () => {
  it('is marked interrupted in run.json, and evaluate says the run is unfinished', async () => {
    const dir = path.join(tempDir(), 'exited');
    // what the CLI's second signal does, at a known point: process.exit while training, right after snapshot 1
    const script = [
      `import * as se from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href)};`,
      `import { loadIdxDataset } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'entries', 'data.js')).href)};`,
      `await se.useBackend('wasm', { threads: 1 });`,
      `const dataset = loadIdxDataset(undefined, { trainSize: 128, testSize: 40 });`,
      `const config = { ...se.DEFAULT_TRAIN_CONFIG, batchSize: 32, epochs: 4, cycles: 2, trainSize: 128, testSize: 40 };`,
      `await se.trainSnapshotEnsemble({ config, dataset, outDir: ${JSON.stringify(dir)}, reporter: { info: (m) => { if (m.startsWith('snapshot 1 saved')) process.exit(130); } } });`,
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(130);
    const record = readRecord(dir);
    expect(record.status).toBe('interrupted');
    expect(record.error).toMatch(/the process exited before training ended/);
    expect(record.snapshots).toHaveLength(1);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    const evaluate = runCli(['evaluate', dir, '--threads', '1']);
    expect(evaluate.code).toBe(0);
    expect(evaluate.stdout.split('\n')[0]).toBe(`${dir}: 40 test images; unfinished run (interrupted)`);
    expect(evaluate.stderr).toContain(`warning: the run was interrupted (1 of 2 snapshots taken): these are the results of an unfinished run; continue it with: snapshot-ensembles train --resume ${dir}`);
    const evaluation = await evaluateRun(dir);
    expect([evaluation.status, evaluation.snapshotsTaken, evaluation.snapshotsPlanned]).toEqual(['interrupted', 1, 2]);
    expect(unfinishedRunNote(dir, { ...evaluation, status: 'completed' })).toBeNull();
  });
});

/**
 * A process that has exited but whose parent has not reaped it: `sh` starts it and then becomes `sleep`, which never
 * waits. The child lives on for a second, so that it dies after the exec (sh itself would reap it).
 */
async function zombie(): Promise<{ pid: number; stop: () => void }> {
  const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('\n'));
  const pid = Number(out.trim());
  const state = () => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  };
  await waitFor(() => state() === 'Z');
  return { pid, stop: () => parent.kill('SIGKILL') };
}

describe.runIf(existsSync('/proc/self/stat'))('the run lock', () => {
  it('replaces a lock whose holder is a zombie (killed, not yet reaped: it still answers kill -0)', async () => {
    const dir = tempDir();
    const z = await zombie();
    try {
      expect(() => process.kill(z.pid, 0)).not.toThrow();
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: z.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
      const release = acquireRunLock(dir);
      expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      release();
    } finally {
      z.stop();
    }
    // a live holder still keeps others out
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    expect(() => acquireRunLock(dir)).toThrow(`is in use by process ${process.ppid}`);
  });
});
