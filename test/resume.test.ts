import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CompareResult } from '../src/schema/compare.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/cli.js';
import { nativeLoad } from './helpers/native.js';
import { checkpointWritten, readRecord, snapshotHashes, startCli, waitFor } from './helpers/runs.js';

// 4 epochs of 4 iterations in 2 cycles: cycle 1 ends at iteration 8, in the middle of which (after epoch 1) we kill.
const BASE = ['--train-size', '128', '--test-size', '40', '--batch-size', '32', '--epochs', '4', '--cycles', '2', '--no-report'];
// Both engines that train in Node here; native only where its addon loads (wherever oneDNN is installed).
const BACKENDS = nativeLoad.ok ? ['native', 'wasm'] : ['wasm'];

describe.each(BACKENDS)('a killed or interrupted run resumes to the same snapshots as an uninterrupted one (%s)', (backend) => {
  const RUN = [...BASE, '--backend', backend];
  let reference: string[];
  let referenceRecord: ReturnType<typeof readRecord>;

  beforeAll(() => {
    const dir = path.join(tempDir(), 'reference');
    const r = runCli(['train', ...RUN, '--out', dir]);
    expect(r.code).toBe(0);
    reference = snapshotHashes(dir);
    referenceRecord = readRecord(dir);
    expect(reference).toHaveLength(2);
  });

  it('SIGKILL in the middle of a cycle, then train --resume: bitwise equal snapshots', async () => {
    const dir = path.join(tempDir(), 'killed');
    const run = startCli(['train', ...RUN, '--out', dir]);
    await waitFor(checkpointWritten(dir));
    run.child.kill('SIGKILL');
    await run.exited;
    const killed = readRecord(dir);
    expect(killed.status).toBe('running'); // it never got to say otherwise
    expect(killed.snapshots.length).toBeLessThan(2);

    // the dead process left its lock behind: resume detects it as stale and replaces it; it continues on the
    // engine and threads the run recorded (not on auto's choice), and keeps the run's --no-report
    const resumed = runCli(['train', '--resume', dir]);
    expect(resumed.stderr).toMatch(/resuming .* at iteration \d+ of 16/);
    expect(resumed.code).toBe(0);
    const record = readRecord(dir);
    expect(record.status).toBe('completed');
    expect(snapshotHashes(dir)).toEqual(reference);
    expect(record.history.learningRate).toEqual(referenceRecord.history.learningRate);
    expect(record.history.loss).toEqual(referenceRecord.history.loss);
    expect(record.evaluation).toEqual(referenceRecord.evaluation);
    expect(record.backend).toBe(backend);
    expect(existsSync(path.join(dir, 'report.html'))).toBe(false);
  });

  it('SIGINT finishes the step, writes a checkpoint, says how to resume and exits non-zero', async () => {
    const dir = path.join(tempDir(), 'interrupted');
    const run = startCli(['train', ...RUN, '--out', dir, '--checkpoint-every', '0']);
    await waitFor(() => /epoch 1:/.test(run.stderr()));
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code).toBe(130);
    expect(run.stderr()).toMatch(/received SIGINT: finishing the current step and writing a checkpoint/);
    expect(run.stderr()).toMatch(new RegExp(`stopped after iteration \\d+ with a checkpoint; resume with: snapshot-ensembles train --resume ${dir}`));
    expect(readRecord(dir).status).toBe('interrupted');
    expect(checkpointWritten(dir)()).toBe(true);

    expectOneLine(runCli(['train', '--resume', dir, '--epochs', '9']), /--resume continues a run as it was configured; --epochs cannot be given with it/);
    // an engine the run recorded that cannot start here is named, with how to choose another
    const runJson = path.join(dir, 'run.json');
    const saved = readFileSync(runJson, 'utf8');
    writeFileSync(runJson, JSON.stringify({ ...JSON.parse(saved), backend: 'tensorflow' }));
    expectOneLine(runCli(['train', '--resume', dir]), /the tensorflow backend is not available: .*the run trained on tensorflow: resume it on another engine with --backend NAME/);
    writeFileSync(runJson, saved);
    // a process killed between saving snapshot 1 and recording it in run.json leaves a directory run.json does not
    // list: resume takes the snapshot again instead of refusing to overwrite it
    mkdirSync(path.join(dir, 'snapshots', '1'), { recursive: true });
    writeFileSync(path.join(dir, 'snapshots', '1', 'model.json'), '{"half": "written"}');
    const resumed = runCli(['train', '--resume', dir, '--backend', backend]);
    expect(resumed.code).toBe(0);
    expect(snapshotHashes(dir)).toEqual(reference);
    expectOneLine(runCli(['train', '--resume', dir]), /the run has already completed; nothing to resume/);
  });
});

function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('an interrupted comparison keeps what finished', () => {
  it('SIGTERM stops compare after the current step: exit 143, compare.json marked interrupted with the finished runs, a report of them', async () => {
    const dir = path.join(tempDir(), 'compare');
    // run 1 (the step run: single and nocycle) is 2 epochs of 20 iterations; we stop in run 2 (the Snapshot Ensemble)
    const run = startCli(['compare', '--train-size', '640', '--test-size', '40', '--batch-size', '32', '--epochs', '2', '--cycles', '2', '--rows', 'single,nocycle,snapshot', '--snapshot-lr0', '0.05', '--out', dir]);
    await waitFor(() => /run 2\/2/.test(run.stderr()));
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect(code).toBe(143);
    expect(run.stderr()).toMatch(/received SIGTERM: stopping after the current step/);
    expect(run.stderr()).toContain(`stopped: ${path.join(dir, 'compare.json')} keeps the runs and rows that finished`);
    const result = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as CompareResult;
    expect(result.status).toBe('interrupted');
    expect(result.error).toMatch(/^interrupted in run 2\/2 \(training stopped after iteration \d+\)/);
    expect(result.runs.map((r) => r.id)).toEqual(['step-seed1']);
    expect(result.rows.map((r) => [r.key, r.seeds.length])).toEqual([['single', 0], ['nocycle', 0], ['snapshot-lr0.05', 0]]);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('The comparison was interrupted');
  });
});
