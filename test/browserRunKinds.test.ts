import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { selectExamples, type Dataset, type ImageSet } from '../src/data/dataset.js';
import { meanProbabilities } from '../src/metrics/combine.js';
import { snapshotGaussians, snapshotProbabilities } from '../src/ensemble/evaluateRun.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { runTestSet } from '../src/run/runData.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { Rng } from '../src/util/rng.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { collectErrors, expectClose, launchChromium, SCREENSHOT_DIR, startServe, stop, tableRow } from './helpers/browser.js';
import { writePng, writeImageFolder } from './helpers/imageFolder.js';

/**
 * The page on runs other than Fashion-MNIST's: a CSV classification run and a CSV regression run (a form, a pasted
 * row, the test rows), an RGB image-folder run (grid and upload), and runs whose examples were given in memory. The
 * page's numbers must equal what `snapshot-ensembles predict` gives for the same row or image.
 */

const WINE = path.join(ROOT, 'data', 'tables', 'wine.csv');
const DIABETES = path.join(ROOT, 'data', 'tables', 'diabetes.csv');
const TOLERANCE = 1e-5;
const quick = ['--model', 'mlp-16x1', '--epochs', '4', '--cycles', '2', '--batch-size', '32', '--lr0', '0.05', '--no-report'];

function train(args: string[]): string {
  const out = path.join(tempDir(), 'run');
  const r = runCli(['train', ...args, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** `predict --json` on a file, with --last m: one parsed JSON object per input. */
function predictCli<T>(runDir: string, file: string, last: number): T[] {
  const r = runCli(['predict', runDir, file, '--json', '--last', String(last)]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((line) => JSON.parse(line) as T);
}

/** A CSV file of rows of a table's features, each value written so that it reads back as the same float32. */
function csvOf(features: readonly string[], rows: readonly ArrayLike<number>[]): string {
  const file = path.join(tempDir(), 'rows.csv');
  writeFileSync(file, [features.join(','), ...rows.map((r) => Array.from(r, String).join(','))].join('\n') + '\n');
  return file;
}

function rowOf(set: ImageSet, i: number): Float32Array {
  const f = set.height * set.width * set.channels;
  return set.images.subarray(i * f, (i + 1) * f) as Float32Array;
}

/** |a - b| within the tolerance, relative to b's size above 1 (a regression's values are in the target's units). */
function expectNear(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} against ${expected}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(expected)));
}

async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
  expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
  return { page, errors };
}

async function predictions(page: Page, n: number): Promise<void> {
  await page.waitForSelector(`body[data-state="predicted"][data-predictions="${n}"], body[data-state="error"]`);
  expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('predicted');
}

async function setSlider(page: Page, m: number): Promise<void> {
  await page.$eval('#m', (el, v) => {
    const slider = el as HTMLInputElement;
    slider.value = String(v);
    slider.dispatchEvent(new Event('input'));
  }, m);
  await page.waitForSelector(`#ensemble-row[data-m="${m}"]`);
}

async function regressionRow(page: Page, selector: string): Promise<{ value: number; std: number; spread: number | null }> {
  return page.$eval(selector, (tr) => {
    const cell = (name: string) => (tr.querySelector(`td.${name}`) as HTMLElement).dataset[name];
    const spread = cell('spread');
    return { value: Number(cell('value')), std: Number(cell('std')), spread: spread === undefined ? null : Number(spread) };
  });
}

async function formValues(page: Page): Promise<number[]> {
  return page.$$eval('#feature-fields input', (inputs) => inputs.map((i) => Math.fround(Number((i as HTMLInputElement).value))));
}

describe('the page on table, RGB and in-memory runs (Debian chromium, headless)', () => {
  let context: BrowserContext;
  let server: { child: ChildProcess; url: string } | undefined;

  beforeAll(async () => {
    await useBackend('wasm');
    context = await launchChromium();
  });

  afterEach(async () => {
    if (server !== undefined) await stop(server.child);
    server = undefined;
  });

  afterAll(async () => {
    await context?.close();
  });

  it('a CSV classification run: a picked test row, a pasted row and the form give what predict gives for the same rows, for every m', async () => {
    const runDir = train(['--data', WINE, '--label', 'cultivar', ...quick]);
    const record = readRunRecord(runDir);
    const features = readFileSync(WINE, 'utf8').split(/\r?\n/)[0]!.split(',').filter((c) => c !== 'cultivar');
    const test = await runTestSet(record);
    const edited = Float32Array.from(rowOf(test, 9));
    edited[0] = 13.5;
    const file = csvOf(features, [rowOf(test, 5), rowOf(test, 9), edited]);
    type Out = { probabilities: number[] };
    const cli = { 1: predictCli<Out>(runDir, file, 1), 2: predictCli<Out>(runDir, file, 2) };
    const { probabilities: members } = await snapshotProbabilities(runDir, record, selectExamples(test, [5]));

    server = await startServe(runDir);
    const { page, errors } = await openPage(context, server.url);
    expect(await page.isHidden('#picker')).toBe(true);
    expect(await page.$$eval('#feature-fields input', (inputs) => inputs.map((i) => (i as HTMLElement).dataset['feature']))).toEqual(features);
    expect(await page.locator('#test-rows button').count()).toBe(36);

    await page.click('#test-rows button[data-test-index="5"]');
    await predictions(page, 1);
    expect(await page.textContent('#picked-caption')).toBe(`Test row 5, labelled ${record.data.classNames[test.labels[5]!]}.`);
    expect(await formValues(page)).toEqual(Array.from(rowOf(test, 5)));
    expect(await page.getAttribute('#ensemble-row', 'data-m')).toBe('2');
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli[2][0]!.probabilities, TOLERANCE);
    for (const [i, member] of members.entries()) expectClose((await tableRow(page, `tr[data-snapshot="${i + 1}"]`)).exact, member.data, TOLERANCE);
    await setSlider(page, 1);
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli[1][0]!.probabilities, TOLERANCE);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-table.png'), fullPage: true });

    // Row 9 pasted with its header line, the columns in another order and the label among them.
    const order = ['cultivar', ...[...features].reverse()];
    const cells = order.map((c) => (c === 'cultivar' ? 'class_x' : String(rowOf(test, 9)[features.indexOf(c)])));
    await page.fill('#pasted-row', `${order.join(',')}\n${cells.join(',')}`);
    await page.click('#predict-pasted');
    await predictions(page, 2);
    expect(await page.textContent('#picked-caption')).toBe('The pasted row.');
    expect(await formValues(page)).toEqual(Array.from(rowOf(test, 9)));
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli[1][1]!.probabilities, TOLERANCE);
    await setSlider(page, 2);
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli[2][1]!.probabilities, TOLERANCE);

    // A row that cannot be read is named under the form; the page carries on.
    await page.fill('#pasted-row', '1,2,abc');
    await page.click('#predict-pasted');
    await page.waitForSelector('#row-problem:not(:empty)');
    expect(await page.textContent('#row-problem')).toBe(`the row has 3 fields but the run takes 13 features (${features.join(', ')}); or paste a header line above it`);
    expect(await page.getAttribute('body', 'data-predictions')).toBe('2');

    // The form: one field changed, then Predict.
    await page.fill('#feature-0', '13.5');
    await page.click('#predict-row');
    await predictions(page, 3);
    expect(await page.textContent('#row-problem')).toBe('');
    expect(await page.textContent('#picked-caption')).toBe('The row entered in the form.');
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli[2][2]!.probabilities, TOLERANCE);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a CSV regression run: each snapshot's prediction, and the ensemble's mean and standard deviation, as predict gives them", async () => {
    const runDir = train(['--data', DIABETES, '--label', 'progression', '--task', 'regression', ...quick]);
    const record = readRunRecord(runDir);
    const features = record.data.source?.kind === 'csv' ? record.data.source.features! : [];
    expect(features).toHaveLength(10);
    const test = await runTestSet(record);
    const file = csvOf(features, [rowOf(test, 3), rowOf(test, 7)]);
    type Out = { progression: number; std: number; spread: number };
    const cli = { 1: predictCli<Out>(runDir, file, 1), 2: predictCli<Out>(runDir, file, 2) };
    const { members } = await snapshotGaussians(runDir, record, selectExamples(test, [3]));

    server = await startServe(runDir);
    const { page, errors } = await openPage(context, server.url);
    expect(await page.locator('#feature-fields input').count()).toBe(10);
    await page.click('#test-rows button[data-test-index="3"]');
    await predictions(page, 1);
    expect(await page.textContent('#picked-caption')).toBe(`Test row 3, labelled progression ${test.labels[3]}.`);
    for (const [i, member] of members.entries()) {
      const shown = await regressionRow(page, `tr[data-snapshot="${i + 1}"]`);
      expectNear(shown.value, member.mean[0]!, `snapshot ${i + 1}`);
      expectNear(shown.std, Math.sqrt(member.noiseVariance), `snapshot ${i + 1}'s sigma`);
    }
    for (const m of [2, 1] as const) {
      await setSlider(page, m);
      const shown = await regressionRow(page, '#ensemble-row');
      const expected = cli[m][0]!;
      expectNear(shown.value, expected.progression, `ensemble of last ${m}`);
      expectNear(shown.std, expected.std, `ensemble of last ${m}'s std`);
      expect(Math.abs(shown.spread! - expected.spread), `spread of last ${m}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(expected.progression)));
      expect(Number(await page.getAttribute('#ensemble-value', 'data-value'))).toBe(shown.value);
    }
    await setSlider(page, 2);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-regression.png'), fullPage: true });

    // Row 7 pasted without a header: the ten features in order.
    await page.fill('#pasted-row', Array.from(rowOf(test, 7), String).join(','));
    await page.click('#predict-pasted');
    await predictions(page, 2);
    const pasted = await regressionRow(page, '#ensemble-row');
    expectNear(pasted.value, cli[2][1]!.progression, 'pasted row');
    expectNear(pasted.std, cli[2][1]!.std, "pasted row's std");
    expect(errors).toEqual([]);
    await page.close();

    // The model `export` writes (raw features in, [mean, variance] out), loaded by the page next to the ensemble.
    const exported = runCli(['export', runDir, '--out', path.join(runDir, 'exports', 'all')]);
    expect(exported.code, exported.stderr).toBe(0);
    const withExport = await openPage(context, `${server.url}?export=exports/all`);
    await withExport.page.click('#test-rows button[data-test-index="3"]');
    await predictions(withExport.page, 1);
    const fromExport = await regressionRow(withExport.page, '#exported-row');
    expectNear(fromExport.value, cli[2][0]!.progression, 'exported model');
    expectNear(fromExport.std, cli[2][0]!.std, "exported model's std");
    expect(withExport.errors).toEqual([]);
    await withExport.page.close();
  });

  it('an RGB image-folder run: the grid and an uploaded PNG give what predict gives for that PNG; the picked image is drawn in colour', async () => {
    const folder = path.join(tempDir('se-colour-'), 'colour');
    await writeImageFolder(folder, { train: 8, test: 4, formats: ['png'], colour: true });
    const runDir = train(['--data', folder, '--image-size', '16', '--model', 'mlp-16x1', '--epochs', '2', '--cycles', '2', '--batch-size', '16', '--no-report']);
    const record = readRunRecord(runDir);
    expect(record.data.inputShape).toEqual([16, 16, 3]);
    const test = await runTestSet(record);
    const image = 4;
    const bytes = test.images.subarray(image * 768, (image + 1) * 768) as Uint8Array;
    const pngFile = path.join(tempDir(), 'upload.png');
    await writePng(pngFile, Uint8Array.from(bytes), 16, 16, 3);
    const cli = predictCli<{ probabilities: number[] }>(runDir, pngFile, 2)[0]!;
    const { probabilities: members } = await snapshotProbabilities(runDir, record, selectExamples(test, [image]));

    server = await startServe(runDir);
    const { page, errors } = await openPage(context, server.url);
    expect(await page.locator('#grid button').count()).toBe(12);
    await page.click(`#grid button[data-test-index="${image}"]`);
    await predictions(page, 1);
    expect(await page.textContent('#picked-caption')).toBe(`Test image ${image}, labelled ${record.data.classNames[test.labels[image]!]}.`);
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli.probabilities, TOLERANCE);
    for (const [i, member] of members.entries()) expectClose((await tableRow(page, `tr[data-snapshot="${i + 1}"]`)).exact, member.data, TOLERANCE);
    const drawn = await page.$eval('#picked-image', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 16, 16).data));
    expect(drawn.filter((_, i) => i % 4 !== 3)).toEqual(Array.from(bytes));
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-rgb.png'), fullPage: true });

    await page.setInputFiles('#upload', pngFile);
    await predictions(page, 2);
    expect(await page.textContent('#picked-caption')).toBe('Uploaded upload.png, scaled to 16x16.');
    expectClose((await tableRow(page, '#ensemble-row')).exact, cli.probabilities, TOLERANCE);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs whose examples were given in memory: the page says there are no test examples to pick, and the form (a table) or an upload (images) still predicts', async () => {
    const rng = new Rng(5);
    /** n rows of 4 numbers in 3 classes: the class shifts feature (class) by 3. */
    const points = (n: number): ImageSet => {
      const images = new Float32Array(n * 4).map(() => rng.next() * 2 - 1);
      const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
      labels.forEach((k, i) => (images[i * 4 + k]! += 3));
      return { images, labels, count: n, height: 1, width: 1, channels: 4, shape: [4] };
    };
    const table: Dataset = { name: 'points', numClasses: 3, classNames: ['a', 'b', 'c'], train: points(90), test: points(9) };
    /** n 8x8 grey images of 2 classes: a bright row (class 0) or column (class 1). */
    const lines = (n: number): ImageSet => {
      const images = new Uint8Array(n * 64).map(() => Math.floor(rng.next() * 60));
      const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
      labels.forEach((k, i) => {
        for (let j = 0; j < 8; j++) images[i * 64 + (k === 0 ? 3 * 8 + j : j * 8 + 3)] = 230;
      });
      return { images, labels, count: n, height: 8, width: 8, channels: 1 };
    };
    const grey: Dataset = { name: 'lines', numClasses: 2, classNames: ['row', 'column'], train: lines(64), test: lines(4) };
    const config = { ...DEFAULT_TRAIN_CONFIG, model: 'mlp-16x1', epochs: 2, cycles: 2, batchSize: 16, augment: false, lr0: 0.05 };

    const tableRun = path.join(tempDir(), 'points');
    await trainSnapshotEnsemble({ config, dataset: table, outDir: tableRun });
    const example = selectExamples(table.test, [2]);
    const { probabilities: expected } = await snapshotProbabilities(tableRun, readRunRecord(tableRun), example);
    server = await startServe(tableRun);
    let opened = await openPage(context, server.url);
    expect(await opened.page.textContent('#status')).toContain(
      "No test rows to pick from (the run's examples ('points') were given in memory, so the server cannot read its test split); enter a row in the form instead.",
    );
    expect(await opened.page.isHidden('#test-rows-section')).toBe(true);
    const names = await opened.page.$$eval('#feature-fields label span', (spans) => spans.map((s) => s.textContent));
    expect(names).toEqual(['feature 1', 'feature 2', 'feature 3', 'feature 4']);
    for (const [k, v] of Array.from(example.images).entries()) await opened.page.fill(`#feature-${k}`, String(v));
    await opened.page.click('#predict-row');
    await predictions(opened.page, 1);
    expectClose((await tableRow(opened.page, '#ensemble-row')).exact, meanProbabilities(expected).data, TOLERANCE);
    expect(opened.errors).toEqual([]);
    await opened.page.close();
    await stop(server.child);

    const imageRun = path.join(tempDir(), 'lines');
    await trainSnapshotEnsemble({ config, dataset: grey, outDir: imageRun });
    const picture = selectExamples(grey.test, [1]);
    const { probabilities: members } = await snapshotProbabilities(imageRun, readRunRecord(imageRun), picture);
    const pngFile = path.join(tempDir(), 'lines.png');
    await writePng(pngFile, Uint8Array.from(picture.images.subarray(0, 64)), 8, 8);
    server = await startServe(imageRun);
    opened = await openPage(context, server.url);
    expect(await opened.page.textContent('#status')).toContain(
      "No test images to pick from (the run's examples ('lines') were given in memory, so the server cannot read its test split); upload one instead.",
    );
    await opened.page.setInputFiles('#upload', pngFile);
    await predictions(opened.page, 1);
    expectClose((await tableRow(opened.page, '#ensemble-row')).exact, meanProbabilities(members).data, TOLERANCE);
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  });
});
