import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { LOCK_FILE, acquireRunLock } from '../src/run/runLock.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { DivergenceError } from '../src/training/trainLoop.js';
import { runCli, tempDir } from './helpers/cli.js';
import { fileSha, readRecord, startCli, waitFor } from './helpers/runs.js';

const QUICK = ['--train-size', '64', '--test-size', '32', '--batch-size', '32', '--epochs', '2', '--cycles', '2'];

function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('run integrity', () => {
  let run: string;
  beforeAll(async () => {
    await useBackend('wasm');
    run = path.join(tempDir(), 'run');
    expect(runCli(['train', ...QUICK, '--out', run]).code).toBe(0);
  });

  it('run.json records the sha256 of every snapshot file, and a damaged weight file is named instead of used', () => {
    const record = readRecord(run);
    for (const s of record.snapshots) {
      for (const [file, sha] of Object.entries(s.sha256)) expect(fileSha(path.join(run, s.path, file))).toBe(sha);
    }
    const damaged = path.join(tempDir(), 'damaged');
    expect(runCli(['train', ...QUICK, '--out', damaged]).code).toBe(0);
    const weights = path.join(damaged, 'snapshots', '1', 'weights.bin');
    truncateSync(weights, 100);
    expectOneLine(runCli(['evaluate', damaged]), new RegExp(`${weights}: damaged \\(sha256 differs from run\\.json; snapshot 1\\)`));
    const images = path.join('data', 'fashion-mnist', 't10k-images-idx3-ubyte.gz');
    expectOneLine(runCli(['predict', damaged, images]), /weights\.bin: damaged/);
    const report = path.join(damaged, 'report.html');
    const before = readFileSync(report, 'utf8');
    expectOneLine(runCli(['report', damaged]), new RegExp(`${weights}: damaged \\(sha256 differs from run\\.json; snapshot 1\\)`));
    expect(readFileSync(report, 'utf8')).toBe(before);
    // the last snapshot alone is intact and still usable
    expect(runCli(['evaluate', damaged, '--last', '1']).code).toBe(0);
    const modelJson = path.join(damaged, 'snapshots', '2', 'model.json');
    writeFileSync(modelJson, '{ not json');
    expectOneLine(runCli(['evaluate', damaged, '--last', '1']), /model\.json: damaged/);
  });

  it('model.json that is not JSON, or names unknown layers, gives a one-line error (hashes not checked)', () => {
    const dir = path.join(tempDir(), 'hostile');
    expect(runCli(['train', ...QUICK, '--out', dir]).code).toBe(0);
    const record = readRecord(dir);
    const modelJson = path.join(dir, 'snapshots', '2', 'model.json');
    const original = readFileSync(modelJson, 'utf8');
    // keep run.json's hash in step so that the loader itself has to cope
    const rehash = () => {
      record.snapshots[1]!.sha256['model.json'] = fileSha(modelJson);
      writeFileSync(path.join(dir, 'run.json'), JSON.stringify(record));
    };
    writeFileSync(modelJson, 'this is not json');
    rehash();
    expectOneLine(runCli(['evaluate', dir, '--last', '1']), /model\.json: not a valid model\.json/);
    writeFileSync(modelJson, original.replace(/"class_name":"Conv2D"/g, '"class_name":"FancyConv"'));
    rehash();
    expectOneLine(runCli(['evaluate', dir, '--last', '1']), /cannot load snapshot 2 \(.*FancyConv/);
  });

  it('a second train into a directory in use refuses; a stale lock from a dead process is replaced', async () => {
    const dir = path.join(tempDir(), 'locked');
    const first = startCli(['train', '--train-size', '640', '--test-size', '32', '--epochs', '3', '--cycles', '1', '--out', dir]);
    await waitFor(() => existsSync(path.join(dir, LOCK_FILE)) && existsSync(path.join(dir, 'run.json')));
    const pid = first.child.pid!;
    expectOneLine(runCli(['train', ...QUICK, '--out', dir, '--overwrite']), new RegExp(`${dir} is in use by process ${pid}`));
    expectOneLine(runCli(['train', '--resume', dir]), new RegExp(`in use by process ${pid}`));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true); // stale now
    const release = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    // a lock that cannot be read is not taken for stale: it is named, and left for the user to remove
    writeFileSync(path.join(dir, LOCK_FILE), '');
    expect(() => acquireRunLock(dir)).toThrow(`${dir}: the lock ${path.join(dir, LOCK_FILE)} cannot be read; remove it if no process is using this run`);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe('');
  });

  it('a diverging loss stops training naming the iteration and rate, keeps earlier snapshots, marks the run failed', async () => {
    const dir = path.join(tempDir(), 'diverged');
    const dataset = loadIdxDataset(undefined, { trainSize: 64, testSize: 16 });
    // batch 16: 4 iterations an epoch, 3 epochs; the rate jumps a millionfold after iteration 5
    const config = { ...DEFAULT_TRAIN_CONFIG, batchSize: 16, epochs: 3, cycles: 3, lr0: 0.05, trainSize: 64, testSize: 16 };
    const plan = { schedule: { name: 'stepDecay' as const, lr0: 0.05, milestones: [5], gamma: 1e6 }, snapshotAt: [4, 8, 12], notes: [] };
    const error = await trainSnapshotEnsemble({ config, dataset, outDir: dir, plan }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).iteration).toBeGreaterThan(5);
    expect((error as Error).message).toMatch(/training diverged: loss is (NaN|Infinity|-Infinity) at iteration \d+ \(learning rate 5\.000e\+4\)/);
    const record = readRecord(dir);
    expect(record.status).toBe('failed');
    expect(record.error).toBe((error as Error).message);
    expect(record.snapshots.map((s) => s.iteration)).toEqual([4]);
    expect(fileSha(path.join(dir, 'snapshots', '1', 'weights.bin'))).toBe(record.snapshots[0]!.sha256['weights.bin']);
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    // and from the command line: after the progress lines, the error in one line, non-zero
    const cli = runCli(['train', ...QUICK, '--lr0', '1e5', '--out', path.join(tempDir(), 'cli-diverged')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n').at(-1)).toMatch(/^error: training diverged: loss is .* at iteration \d+ \(learning rate [\d.e+]+\)$/);
  });
});
