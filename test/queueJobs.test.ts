import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCompare } from '../src/compare/plan.js';
import { DEFAULT_COMPARE_CONFIG } from '../src/compare/runCompare.js';
import type { CompareConfig } from '../src/schema/compare.js';
import { acquireRunLock, LOCK_FILE, readRunLock } from '../src/run/runLock.js';
import { parseQueueAddress } from '../src/queue/address.js';
import { jobLockOwner } from '../src/queue/messages.js';
import { memberPlanOf, runJobOf, snapshotPlanOf, trainConfigOf } from '../src/queue/runJob.js';
import { sharedDirectoryStorage } from '../src/queue/storage.js';
import { expectOneLineError, runCli, tempDir } from './helpers/cli.js';
import { freePort, startRedis } from './helpers/redis.js';
import { startCli, waitFor } from './helpers/runs.js';

const config: CompareConfig = { ...DEFAULT_COMPARE_CONFIG, epochs: 2, cycles: 2, trainSize: 96, valSize: 32, testSize: 60, batchSize: 32, rows: [{ row: 'snapshot', seeds: [1, 2] }, { row: 'single', seeds: [1] }] };
// 64 training images, batch 32: 2 iterations an epoch
const plan = planCompare(config, 2);
const specs = plan.seeds.flatMap((s) => s.runs);

describe('queue jobs: addresses, deterministic job ids, what a worker trains', () => {
  it('reads redis://HOST:PORT[/DB] and names what is wrong with anything else', () => {
    expect(parseQueueAddress('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(parseQueueAddress('redis://queue.lan')).toEqual({ host: 'queue.lan', port: 6379, db: 0 });
    expect(parseQueueAddress('redis://[::1]:7000')).toEqual({ host: '::1', port: 7000, db: 0 });
    expect(() => parseQueueAddress('127.0.0.1:6379')).toThrow("--queue: cannot read '127.0.0.1:6379' (expected redis://HOST:PORT[/DB])");
    expect(() => parseQueueAddress('http://h:1')).toThrow("--queue: 'http://h:1' is not a redis://HOST:PORT[/DB] address");
    expect(() => parseQueueAddress('redis://h:1/zero')).toThrow("--queue: 'zero' in 'redis://h:1/zero' is not a database number");
  });

  it('a run has the same job id every time it is planned, and another id as soon as anything it trains differs', () => {
    const ids = specs.map((s) => runJobOf(s, config).run);
    expect(planCompare(config, 2).seeds.flatMap((s) => s.runs).map((s) => runJobOf(s, config).run)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, spec] of specs.entries()) expect(ids[i]).toMatch(new RegExp(`^${spec.id.replace(/[.+]/g, '\\$&')}-[0-9a-f]{12}$`));
    const other = (c: Partial<CompareConfig>) => runJobOf(specs[0]!, { ...config, ...c }).run;
    for (const change of [{ momentum: 0.8 }, { valSize: 16 }, { augment: false }, { model: 'resnet20' }, { trainSize: 97 }]) expect(other(change)).not.toBe(ids[0]);
    // settings no run uses (the SWA rate, the rows) leave the job as it is: two comparisons share identical runs
    expect(other({ swaLr: 0.01, rows: [] })).toBe(ids[0]);
  });

  it('a job trains what executeRun would: model, seed, dropout, epochs, optimiser, data and the planned members', () => {
    const spec = specs.find((s) => s.id === 'step-seed1')!;
    const job = runJobOf(spec, config);
    expect(trainConfigOf(job)).toEqual({
      model: 'cnn',
      dropout: 0,
      trainSize: 96,
      valSize: 32,
      testSize: 60,
      epochs: 2,
      batchSize: 32,
      cycles: 1,
      lr0: 0.1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
      augment: true,
      seed: 1,
    });
    expect(snapshotPlanOf(job)).toEqual({ schedule: spec.schedule, snapshotAt: [4], notes: [] });
    expect(memberPlanOf(job)).toEqual({ swa: null, swag: null });
    expect(job.settings.source).toEqual({ kind: 'idx', dir: null });
    expect(JSON.parse(JSON.stringify(job))).toEqual(job);
  });

  it('queues every row: SWA and SWAG with their members planned, a distilled student naming its teacher, any data source', () => {
    const rows: CompareConfig['rows'] = [{ row: 'swa', seeds: [1] }, { row: 'swag', seeds: [1] }, { row: 'distilled', seeds: [1] }];
    const table: CompareConfig = { ...config, rows, source: { kind: 'csv', file: '/data/wine.csv', label: 'cultivar', features: null, task: 'classification', testSplit: 0.2, splitSeed: 1 } };
    const runs = planCompare(table, 2).seeds[0]!.runs;
    const swa = runs.find((r) => r.swa !== null)!;
    const job = runJobOf(swa, table);
    expect(memberPlanOf(job)).toEqual({ swa: { startEpoch: 1 }, swag: { startEpoch: 1, rank: 20, samples: 10 } });
    expect(job.settings.source).toEqual(table.source);
    const student = runs.find((r) => r.distill !== undefined)!;
    const teacher = runJobOf(runs.find((r) => r.id === student.distill!.teacher)!, table);
    expect(() => runJobOf(student, table)).toThrow(/needs its teacher's job/);
    expect(runJobOf(student, table, teacher.run).teacher).toBe(teacher.run);
  });

  it('keeps run names inside the shared directory', async () => {
    const storage = sharedDirectoryStorage(tempDir());
    await expect(storage.readableDir('../elsewhere')).rejects.toThrow("not a run name: '../elsewhere'");
    await expect(storage.readableDir('step-seed1-0123456789ab')).resolves.toBeNull();
  });
});

describe("the run directory's lock across hosts, judged by the job's state", () => {
  const owner = jobLockOwner('q', 'step-seed1-0123456789ab');
  const holdBy = (dir: string, holder: object) => writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder));
  // the job was handed over: a lock taken for an earlier attempt of it is stale, wherever its process is
  const handedOver = { owner: `${owner} attempt new`, isStale: (h: { owner?: string }) => h.owner?.startsWith(`${owner} `) === true };

  it('an earlier attempt of the same job on another host is replaced; any other holder there is refused', () => {
    const dir = tempDir();
    holdBy(dir, { pid: 1, host: 'elsewhere', since: 'then', owner: `${owner} attempt old` });
    expect(() => acquireRunLock(dir)).toThrow(`${dir} is locked by process 1 on host elsewhere; remove ${path.join(dir, LOCK_FILE)} if that run is dead`);
    const release = acquireRunLock(dir, handedOver);
    expect(readRunLock(dir)).toMatchObject({ pid: process.pid, host: hostname(), owner: `${owner} attempt new` });
    release();
    expect(readRunLock(dir)).toBeNull();
    holdBy(dir, { pid: 1, host: 'elsewhere', since: 'then', owner: 'job q/another-job attempt x' });
    expect(() => acquireRunLock(dir, handedOver)).toThrow(/is locked by process 1 on host elsewhere/);
  });

  it('on this host, a live process holding the lock for an earlier attempt is judged by the job too; a plain train is not', () => {
    const dir = tempDir();
    holdBy(dir, { pid: process.ppid, host: hostname(), since: 'then' });
    expect(() => acquireRunLock(dir, handedOver)).toThrow(`${dir} is in use by process ${process.ppid} (since then); wait for it or stop it`);
    holdBy(dir, { pid: process.ppid, host: hostname(), since: 'then', owner: `${owner} attempt old` });
    acquireRunLock(dir, handedOver)();
  });
});

describe('a coordinator and a Redis that is not there', () => {
  const COMPARE = ['compare', '--rows', 'single', '--epochs', '2', '--cycles', '2', '--train-size', '64', '--test-size', '20', '--batch-size', '32', '--backend', 'wasm', '--no-report'];

  it('a Redis that never answers: a one-line error after --queue-timeout, not a wait for ever', async () => {
    const port = await freePort();
    const out = path.join(tempDir(), 'never');
    const r = runCli([...COMPARE, '--queue', `redis://127.0.0.1:${port}`, '--runs-dir', tempDir(), '--queue-timeout', '1', '--out', out], { timeoutMs: 60_000 });
    expectOneLineError(r, new RegExp(`cannot reach the queue's Redis at redis://127.0.0.1:${port}/0 within 1 s \\(connect ECONNREFUSED 127.0.0.1:${port}\\): start it`));
    expectOneLineError(runCli([...COMPARE, '--queue-timeout', '5']), /--queue-timeout is for runs on a queue/);
  });

  it('Redis gone while the coordinator waits: the first Ctrl-C stops it at once', async () => {
    const redis = await startRedis(tempDir());
    const run = startCli([...COMPARE, '--queue', redis.url, '--runs-dir', tempDir(), '--out', path.join(tempDir(), 'waiting')]);
    try {
      await waitFor(() => /runs enqueued/.test(run.stderr()));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000));
      run.child.kill('SIGINT');
      const started = Date.now();
      expect(await run.exited).toBe(130);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(run.stderr()).toMatch(/stopped waiting: the queued runs go on training/);
    } finally {
      run.child.kill('SIGKILL');
      await redis.stop();
    }
  });
});
