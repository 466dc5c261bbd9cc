import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classified, snapshotHashes } from './helpers/runs.js';
import type { Metrics } from '../src/schema/metrics.js';
import { useBackend } from '../src/backend/backends.js';
import { exportSummary, formatBytes } from '../src/cli/commands/export.js';
import { distillRun, resumeDistillation } from '../src/deploy/distillRun.js';
import { exportRun } from '../src/deploy/exportRun.js';
import { combine } from '../src/metrics/combine.js';
import { evaluateRun, runTestSet, snapshotProbabilities } from '../src/ensemble/evaluateRun.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { classificationMetrics } from '../src/metrics/classification.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../src/metrics/probabilities.js';
import { TrainingInterrupted } from '../src/training/trainLoop.js';
import { runCli, tempDir, expectOneLineError } from './helpers/cli.js';
import { collectErrors, launchChromium, SCREENSHOT_DIR, startServe, stop } from './helpers/browser.js';
import { syntheticRecord } from './helpers/syntheticRun.js';
import { loadPlain, maxDifference, predictPlain } from './helpers/plainModel.js';

const STANDARD_LAYERS = new Set(['InputLayer', 'Rescaling', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Activation', 'Average']);

describe('deploying the ensemble: export and distill', () => {
  let runDir: string;
  let members: ProbabilityMatrix[];
  let test: Awaited<ReturnType<typeof runTestSet>>;

  beforeAll(async () => {
    await useBackend('wasm');
    runDir = path.join(tempDir(), 'run');
    const train = runCli(['train', '--train-size', '192', '--test-size', '100', '--epochs', '3', '--cycles', '3', '--lr0', '0.05', '--no-report', '--out', runDir]);
    expect(train.code, train.stderr).toBe(0);
    const record = readRunRecord(runDir);
    expect(record.snapshots).toHaveLength(3);
    test = await runTestSet(record);
    members = (await snapshotProbabilities(runDir, record, test)).probabilities;
  });

  it("the exported 3-snapshot mean, reloaded with plain tf.loadLayersModel, equals evaluate's last-3 ensemble within 1e-5", async () => {
    const out = path.join(tempDir(), 'exported');
    const r = runCli(['export', runDir, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`exported the ensemble of snapshots 1, 2, 3 (mean) to ${out}`);
    expect(r.stdout).toContain('input: raw pixels in [0, 255], 28x28x1');
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);

    const json = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    const classes = json.modelTopology.config.layers.map((l) => l.class_name);
    // standard layers only, batch norms folded away, 4 folded convolutions per member
    expect(classes.filter((c) => !STANDARD_LAYERS.has(c))).toEqual([]);
    expect(classes.filter((c) => c === 'Conv2D')).toHaveLength(12);
    expect(classes.filter((c) => c === 'Average')).toHaveLength(1);

    const model = await loadPlain(out);
    const exported = predictPlain(model, test.images, [test.count, 28, 28, 1]);
    model.dispose();
    const expected = combine(members, 'mean');
    expect(maxDifference(exported, expected.data)).toBeLessThan(1e-5);

    // and its metrics are those `evaluate` gives the ensemble of the last 3
    const ensemble = classified(await evaluateRun(runDir)).ensembles.find((e) => e.m === 3)!;
    const metrics = classificationMetrics(probabilityMatrix(exported, 10), test.labels);
    expect(metrics.error).toBe(ensemble.error);
    expect(Math.abs(metrics.nll - ensemble.nll)).toBeLessThan(1e-5);
    expect(Math.abs(metrics.ece - ensemble.ece)).toBeLessThan(1e-5);
  });

  it('--last 2 --combine geometric equals the geometric mean of the last 2; float16 and uint8 halve and quarter the weights and stay close', async () => {
    const dirs: Record<string, string> = {};
    for (const q of ['none', 'float16', 'uint8'] as const) {
      dirs[q] = path.join(tempDir(), q);
      const result = await exportRun(runDir, { last: 2, combine: 'geometric', outDir: dirs[q]!, quantize: q === 'none' ? null : q });
      expect(result.metadata.members).toEqual([2, 3]);
      expect(result.bytes.float32Weights).toBe(statSync(path.join(dirs['none']!, 'weights.bin')).size);
      // what `export` prints: the size, and the change in test error and NLL against the 2-pass ensemble
      const summary = exportSummary(result);
      expect(summary).toContain(`weights.bin ${formatBytes(result.bytes.weights)} ${q === 'none' ? 'float32' : `${q} (float32: `}`);
      const change = (result.measured!.exported.metrics.nll - result.measured!.ensemble.metrics.nll).toFixed(4);
      expect(summary).toContain(`NLL ${change.startsWith('-') ? change : '+' + change}`);
    }
    const size = (q: string) => statSync(path.join(dirs[q]!, 'weights.bin')).size;
    const floats = size('none') / 4;
    expect(size('float16')).toBe(2 * floats);
    expect(size('uint8')).toBe(floats);
    const manifest = (q: string) =>
      (JSON.parse(readFileSync(path.join(dirs[q]!, 'model.json'), 'utf8')) as tf.io.ModelJSON).weightsManifest[0]!.weights;
    expect(manifest('float16').every((w) => w.quantization?.dtype === 'float16')).toBe(true);
    expect(manifest('uint8').every((w) => w.quantization?.dtype === 'uint8' && typeof w.quantization.scale === 'number')).toBe(true);

    const expected = combine(members.slice(1), 'geometric');
    const outputs: Record<string, number> = {};
    for (const q of ['none', 'float16', 'uint8']) {
      const model = await loadPlain(dirs[q]!);
      outputs[q] = maxDifference(predictPlain(model, test.images, [test.count, 28, 28, 1]), expected.data);
      model.dispose();
    }
    expect(outputs['none']).toBeLessThan(1e-5);
    expect(outputs['float16']).toBeLessThan(5e-3);
    expect(outputs['float16']).toBeGreaterThan(0);
    expect(outputs['uint8']).toBeLessThan(0.1);
    expect(tf.memory().numTensors).toBeLessThan(10);
  });

  it('bad input: --last above the snapshots, a run without snapshots, an output directory that holds something; nothing written', () => {
    expectOneLineError(runCli(['export', runDir, '--last', '4']), /--last 4 is more than the 3 snapshots/);
    expect(existsSync(path.join(runDir, 'exports'))).toBe(false);
    const full = path.join(tempDir(), 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'notes.txt'), 'mine');
    expectOneLineError(runCli(['export', runDir, '--out', full]), /full already holds something; choose another --out/);
    expect(readdirSync(full)).toEqual(['notes.txt']);
    const empty = path.join(tempDir(), 'empty');
    mkdirSync(empty);
    const record = syntheticRecord({ totalSteps: 10, cycles: 2, perEpoch: 5 });
    writeFileSync(path.join(empty, 'run.json'), JSON.stringify({ ...record, snapshots: [] }));
    expectOneLineError(runCli(['export', empty]), /the run holds no snapshots/);
    expect(readdirSync(empty)).toEqual(['run.json']);
    expectOneLineError(runCli(['export', runDir, '--quantize', 'int4']), /--quantize.*int4.*float16, uint8/);
  });

  it('in Chromium, the serve page loads the exported model with one tf.loadLayersModel: on the test set it equals the 3-pass ensemble within 1e-5, timed beside it', async () => {
    const exported = await exportRun(runDir);
    expect(exported.outDir).toBe(path.join(runDir, 'exports', 'last3-mean'));
    const server = await startServe(runDir);
    const context = await launchChromium();
    try {
      const page = await context.newPage();
      const errors = collectErrors(page);
      const modelFiles: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/exports/')) modelFiles.push(new URL(r.url()).pathname);
      });
      await page.goto(`${server.url}?backend=wasm&export=exports/last3-mean`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
      expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
      expect(await page.textContent('#exported-status')).toContain('exports/last3-mean (the ensemble of snapshots 1, 2, 3) with one tf.loadLayersModel');
      expect(modelFiles).toEqual(['/run/exports/last3-mean/model.json', '/run/exports/last3-mean/weights.bin']);

      // one picked image: the exported model's row beside the ensemble's, equal within 1e-5
      await page.click('#grid button[data-test-index="5"]');
      await page.waitForSelector('body[data-state="predicted"][data-predictions="1"]');
      const rowOf = (selector: string) => page.$$eval(`${selector} td[data-class]`, (cells) => cells.map((c) => Number((c as HTMLElement).dataset['probability'])));
      const expected = combine(members, 'mean');
      expect(maxDifference(await rowOf('#exported-row'), expected.data.subarray(50, 60))).toBeLessThan(1e-5);
      expect(maxDifference(await rowOf('#ensemble-row'), expected.data.subarray(50, 60))).toBeLessThan(1e-5);
      expect(await page.textContent('#exported-row td.time')).toMatch(/^\d+(\.\d+)? ms$/);

      // the whole test set, in the page: the exported model's probabilities, and both timed
      await page.click('#time-test-set');
      await page.waitForSelector('body[data-timed="1"][data-state="predicted"]');
      expect(Number(await page.getAttribute('#test-set-table', 'data-count'))).toBe(test.count);
      const inPage = JSON.parse((await page.getAttribute('#test-set-table', 'data-probabilities'))!) as number[];
      expect(maxDifference(inPage, expected.data)).toBeLessThan(1e-5);
      const passes = await page.$$eval('#test-set-table tbody tr', (rows) => rows.map((r) => [(r as HTMLElement).dataset['model'], r.children[1]!.textContent]));
      expect(passes).toEqual([
        ['ensemble', '3'],
        ['exported', '1'],
      ]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-exported.png'), fullPage: true });
    } finally {
      await context.close();
      await stop(server.child);
    }
  });

  describe('distill: the ensemble taught to one student network', () => {
    it('the student of the 3 snapshots is a run directory with one snapshot that evaluate and export work on', async () => {
      const student = path.join(tempDir(), 'student');
      const r = runCli(['distill', runDir, '--epochs', '1', '--temperature', '2', '--alpha', '0.8', '--no-report', '--out', student]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`distilling the ensemble of snapshots 1, 2, 3 of ${runDir} into cnn (temperature 2, alpha 0.8)`);
      expect(r.stdout).toContain('1 snapshot in');
      const record = readRunRecord(student);
      expect(record.status).toBe('completed');
      expect(record.snapshots).toHaveLength(1);
      expect(record.snapshotAt).toEqual([3]);
      const teacher = readRunRecord(runDir);
      expect(record.config.distill).toEqual({
        teacherRun: path.resolve(runDir),
        teachers: teacher.snapshots.map((s) => ({ index: s.index, sha256: s.sha256 })),
        temperature: 2,
        alpha: 0.8,
      });
      const evaluation = classified(await evaluateRun(student));
      expect(evaluation.members).toHaveLength(1);
      expect(evaluation.members[0]!.error).toBe((record.snapshots[0]!.test as Metrics).error);
      const exported = await exportRun(student, { outDir: path.join(tempDir(), 'student-export') });
      expect(exported.measured!.maxAbsDifference).toBeLessThan(1e-5);
      expectOneLineError(runCli(['train', '--resume', student]), /is a distilled student; resume it with: snapshot-ensembles distill --resume/);

      // evaluate --cost: every snapshot, every last-m ensemble, the models exported so far and the student
      const cost = runCli(['evaluate', runDir, '--cost', '--student', student]);
      expect(cost.code, cost.stderr).toBe(0);
      const table = cost.stdout.slice(cost.stdout.indexOf('inference cost on 100 test images'));
      const lines = table.split('\n').slice(3).filter((l) => l.startsWith('  ') || l.startsWith('* '));
      const labels = lines.map((l) => l.slice(2, l.indexOf('  ', 2)).trim());
      expect(labels).toEqual([
        'snapshot 1',
        'snapshot 2',
        'snapshot 3',
        'ensemble of last 1 (mean)',
        'ensemble of last 2 (mean)',
        'ensemble of last 3 (mean)',
        'exported last3-mean',
        'ensemble of last 3 (mean), ONNX',
        'student student (cnn)',
      ]);
      // ONNX Runtime on the engine's threads (wasm's here), named after the table
      expect(table).toMatch(/\nONNX Runtime: onnxruntime-node 1\.30\.0 on the CPU, \d+ threads?\n/);
      const mflops = lines.map((l) => Number(l.trim().split(/\s+/).at(-2)));
      // an ensemble of m costs m snapshots' FLOPs, and so does the one model that exports it
      expect(mflops[5]).toBeCloseTo(3 * mflops[0]!, 0);
      expect(mflops[6]).toBe(mflops[5]);
      expect(mflops[7]).toBe(mflops[5]);
      expect(mflops[8]).toBe(mflops[0]);
      expect(lines.some((l) => l.startsWith('* '))).toBe(true);
    });

    it('an interrupted distillation resumes to the same student, bit for bit', async () => {
      const settings = { teacherRun: runDir, last: 2, epochs: 1, temperature: 3, alpha: 0.5, evaluate: false };
      const whole = path.join(tempDir(), 'whole');
      await distillRun({ ...settings, outDir: whole });
      const stopped = path.join(tempDir(), 'stopped');
      let steps = 0;
      await expect(distillRun({ ...settings, outDir: stopped, shouldStop: () => ++steps === 2 })).rejects.toThrow(TrainingInterrupted);
      expect(readRunRecord(stopped).status).toBe('interrupted');
      await resumeDistillation(stopped, { evaluate: false });
      expect(snapshotHashes(stopped)).toEqual(snapshotHashes(whole));
      expect(readRunRecord(stopped).config.distill!.teachers.map((t) => t.index)).toEqual([2, 3]);
    });

    it('bad input: --last above the snapshots, a teacher without snapshots, an unknown student, T <= 0, alpha outside [0, 1], an output directory that holds something', () => {
      const out = path.join(tempDir(), 'never');
      expectOneLineError(runCli(['distill', runDir, '--last', '4', '--out', out]), /--last 4 is more than the 3 snapshots/);
      expectOneLineError(runCli(['distill', runDir, '--student', 'vgg', '--out', out]), /unknown model 'vgg'/);
      expectOneLineError(runCli(['distill', runDir, '--temperature', '0', '--out', out]), /--temperature must be a positive number, got 0/);
      expectOneLineError(runCli(['distill', runDir, '--alpha', '1.5', '--out', out]), /--alpha must be in \[0, 1\], got 1.5/);
      expect(existsSync(out)).toBe(false);
      const full = path.join(tempDir(), 'full');
      mkdirSync(full);
      writeFileSync(path.join(full, 'notes.txt'), 'mine');
      expectOneLineError(runCli(['distill', runDir, '--out', full]), /already holds something; choose another --out/);
      expect(readdirSync(full)).toEqual(['notes.txt']);
      const empty = path.join(tempDir(), 'empty');
      mkdirSync(empty);
      writeFileSync(path.join(empty, 'run.json'), JSON.stringify({ ...syntheticRecord({ totalSteps: 10, cycles: 2, perEpoch: 5 }), snapshots: [] }));
      expectOneLineError(runCli(['distill', empty, '--out', out]), /the run holds no snapshots/);
      expect(existsSync(out)).toBe(false);
    });
  });
});
