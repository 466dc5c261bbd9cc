import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import type { CompareResult } from '../src/schema/compare.js';
import { loadDataset } from '../src/data/source.js';
import { writeImageFolder } from './helpers/imageFolder.js';
import { connectionOptions, parseQueueAddress, QUEUE_NAME } from '../src/queue/address.js';
import { runJobOf } from '../src/queue/runJob.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { DEFAULT_COMPARE_CONFIG } from '../src/compare/runCompare.js';
import { tempDir } from './helpers/cli.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { readRecord, snapshotHashes, startCli, waitFor, type Background } from './helpers/runs.js';

/*
 * compare --queue and worker against a redis-server of the test's own on 127.0.0.1, with workers and coordinators
 * as child processes. Tiny runs: 64 training images (+16 for validation), batch 16, so an epoch is 4 iterations;
 * wasm with one thread, so that a queued run and a one-machine run compute alike.
 */
const DATA = ['--backend', 'wasm', '--threads', '1', '--train-size', '80', '--val-size', '16', '--test-size', '40', '--batch-size', '16', '--lr0', '0.05', '--no-report'];
// short leases, so that a killed worker's run is handed over within seconds
const LEASE = ['--lock-duration', '2000', '--stalled-interval', '1000'];
const WAIT_MS = 150_000;

const readCompare = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as CompareResult;
/** What must agree between a queued and a one-machine comparison: everything but times. */
const numbers = (r: CompareResult) => ({
  rows: r.rows.map((row) => ({ ...row, seeds: row.seeds.map((s) => ({ ...s, seconds: 0 })) })),
  runs: r.runs.map((run) => ({ ...run, seconds: 0, history: run.history.map((h) => ({ ...h, seconds: 0 })) })),
});

describe('compare --queue: runs on BullMQ workers, surviving dead workers, a dead coordinator and a Redis restart', () => {
  let redis: RedisServer;
  let root: string;
  let runsDir: string;
  const processes: Background[] = [];
  const start = (args: string[]) => {
    const p = startCli(args);
    processes.push(p);
    return p;
  };
  const worker = (name: string) => start(['worker', '--queue', redis.url, '--runs-dir', runsDir, '--backend', 'wasm', '--threads', '1', '--name', name, ...LEASE]);
  const queued = (out: string, args: string[]) => ['compare', ...DATA, ...args, '--out', out, '--queue', redis.url, '--runs-dir', runsDir];
  const runDirs = () => (existsSync(runsDir) ? readdirSync(runsDir).map((n) => path.join(runsDir, n)) : []);
  const kill = async (p: Background) => {
    p.child.kill('SIGKILL');
    await p.exited;
  };
  const workers: Background[] = [];

  beforeAll(async () => {
    root = tempDir('se-queue-');
    runsDir = path.join(root, 'runs');
    redis = await startRedis(root);
    workers.push(worker('w1'), worker('w2'));
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await kill(p);
    await redis?.stop();
  });

  it('every row of a compare on an image folder, across two workers, one killed mid-run and the coordinator killed and started again, gives the one-machine compare.json', async () => {
    const folder = path.join(root, 'clothes');
    await writeImageFolder(folder, { train: 10, test: 4, formats: ['png'] });
    const data = ['--data', folder, '--image-size', '28', '--channels', '1', '--val-split', '0.2', '--backend', 'wasm', '--threads', '1', '--batch-size', '6', '--lr0', '0.05', '--no-report'];
    const args = [...data, '--epochs', '6', '--cycles', '2', '--rows', 'all', '--snapshot-lr0', '0.05', '--ensemble-size', '2', '--swag-rank', '3', '--swag-samples', '2', '--fge-cycle-epochs', '1', '--distill-epochs', '2'];
    const local = path.join(root, 'local');
    const baseline = start(['compare', ...args, '--out', local]);
    const out = path.join(root, 'queued');
    const inQueue = (dir: string) => ['compare', ...args, '--out', dir, '--queue', redis.url, '--runs-dir', runsDir];
    const first = start(inQueue(out));
    // runs taken by both workers: kill the coordinator, which does not train
    await waitFor(() => runDirs().filter((d) => existsSync(path.join(d, 'run.json'))).length >= 2, WAIT_MS);
    await kill(first);
    // a run with a checkpoint, still training: kill its worker (the one that said it started it)
    let victim: string | undefined;
    await waitFor(() => {
      victim = runDirs().find((d) => existsSync(path.join(d, 'checkpoint', 'state.json')) && readRecord(d).status === 'running');
      return victim !== undefined;
    }, WAIT_MS);
    const killed = workers.find((w) => w.stderr().includes(`${path.basename(victim!)}: started`))!;
    await kill(killed);
    const survivor = workers.find((w) => w !== killed)!;
    const again = start(inQueue(out));
    expect(await again.exited, again.stderr()).toBe(0);
    expect(again.stderr()).toMatch(/^runs: (\d+)\/\1 done, 0 running, 0 queued, 0 failed$/m);
    expect(again.stderr()).toMatch(/distilled-.*: enqueued, its teacher snapshot-lr0\.05-M2-seed1-[0-9a-f]{12} being done/);

    // the survivor found the run stalled and resumed it from its checkpoint
    expect(survivor.stderr()).toMatch(new RegExp(`${path.basename(victim!)}: resuming .* at iteration \\d+ of`));
    expect(await baseline.exited, baseline.stderr()).toBe(0);
    const q = readCompare(out);
    expect(q.status).toBe('completed');
    expect(q.rows.map((r) => r.row)).toEqual(['single', 'dropout', 'nocycle', 'singlecycle', 'snapshot', 'fge', 'swa', 'swag', 'true-ensemble', 'distilled']);
    expect(q.rows.every((r) => r.seeds.length === 1 && r.failures.length === 0)).toBe(true);
    expect(q.data.validationExamples).toBe(6);
    expect(numbers(q)).toEqual(numbers(readCompare(local)));

    // its final snapshots are bit for bit those of a run that was never interrupted
    const record = readRecord(victim!);
    await useBackend('wasm', { threads: 1 });
    const dataset = await loadDataset(record.data.source!, { trainSize: record.data.trainExamples + record.config.valSize });
    const fresh = path.join(root, 'uninterrupted');
    await trainSnapshotEnsemble({
      config: record.config,
      dataset,
      outDir: fresh,
      evaluate: false,
      plan: { schedule: record.schedule, snapshotAt: record.snapshotAt, notes: [] },
      ...(record.members === undefined ? {} : { members: record.members }),
    });
    expect(snapshotHashes(victim!)).toEqual(snapshotHashes(fresh));
    workers.splice(workers.indexOf(killed), 1, worker('w3'));
  });

  it('two coordinators on one queue see only their own runs; a diverging run and a bad configuration fail once, with their one-line errors', async () => {
    const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(parseQueueAddress(redis.url)) });
    try {
      const bad = runJobOf(
        { id: 'bad', seed: 1, dropout: 0, epochs: 1, schedule: { name: 'constant', lr: 0.1 }, snapshotAt: [4], swa: null },
        { ...DEFAULT_COMPARE_CONFIG, model: 'no-such-model', trainSize: 80, testSize: 40 },
      );
      await queue.add('run', bad, { jobId: bad.run, attempts: 3 });
      const outX = path.join(root, 'x');
      const outY = path.join(root, 'y');
      const x = start(queued(outX, ['--epochs', '2', '--cycles', '1', '--rows', 'single']));
      const y = start(queued(outY, ['--epochs', '2', '--cycles', '1', '--rows', 'snapshot', '--snapshot-lr0', '0.05,1e30']));
      expect(await x.exited, x.stderr()).toBe(0);
      expect(await y.exited, y.stderr()).toBe(0);
      const rx = readCompare(outX);
      const ry = readCompare(outY);
      expect(rx.runs.map((r) => r.id)).toEqual(['step-seed1']);
      expect(ry.runs.map((r) => r.id)).toEqual(['snapshot-lr0.05-M1-seed1', 'snapshot-lr1e+30-M1-seed1']);
      expect(x.stderr()).not.toMatch(/snapshot-lr/);
      expect(y.stderr()).not.toMatch(/step-seed/);
      expect(y.stderr()).toMatch(/^runs: 1\/2 done, 0 running, 0 queued, 1 failed$/m);
      expect(ry.rows[1]!.failures).toEqual([{ seed: 1, run: 'snapshot-lr1e+30-M1-seed1', error: expect.stringMatching(/^training diverged: loss is NaN at iteration \d+/) }]);
      expect(ry.rows[0]!.seeds).toHaveLength(1);

      const divergedRun = path.basename(runDirs().find((d) => path.basename(d).startsWith('snapshot-lr1e+30-M1-seed1-'))!);
      const diverged = (await queue.getJob(divergedRun))!;
      expect(await diverged.getState()).toBe('failed');
      expect(diverged.attemptsMade).toBe(1);
      for (let i = 0; i < 600 && (await queue.getJob(bad.run).then((j) => j!.getState())) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      const badJob = (await queue.getJob(bad.run))!;
      expect(await badJob.getState()).toBe('failed');
      expect(badJob.attemptsMade).toBe(1);
      expect(badJob.failedReason).toMatch(/^unknown model 'no-such-model'/);
      expect(badJob.failedReason).not.toContain('\n');
    } finally {
      await queue.close();
    }
  });

  it('a worker stopped with SIGTERM hands its run back with a checkpoint; Redis stopped for a few seconds and started again: the compare finishes', async () => {
    const out = path.join(root, 'outage');
    const c = start(queued(out, ['--epochs', '6', '--cycles', '2', '--rows', 'single', '--seed', '2']));
    let run = '';
    await waitFor(() => {
      run = runDirs().map((d) => path.basename(d)).find((n) => n.startsWith('step-seed2-')) ?? '';
      return run !== '' && existsSync(path.join(runsDir, run, 'checkpoint', 'state.json'));
    }, WAIT_MS);
    const holder = workers.find((w) => w.stderr().includes(`${run}: started`))!;
    holder.child.kill('SIGTERM');
    expect(await holder.exited).toBe(143);
    expect(holder.stderr()).toContain(`${run}: stopped with a checkpoint; back to the queue`);
    const other = workers.find((w) => w !== holder)!;
    await waitFor(() => other.stderr().includes(`${run}: resuming`), WAIT_MS);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    expect(await c.exited, c.stderr()).toBe(0);
    const r = readCompare(out);
    expect(r.status).toBe('completed');
    expect(r.rows[0]!.seeds.map((s) => s.seed)).toEqual([2]);
    expect(r.rows[0]!.failures).toEqual([]);
    expect(readRecord(path.join(runsDir, run)).status).toBe('completed');
  });
});
