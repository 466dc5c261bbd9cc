import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writePng } from './helpers/imageFolder.js';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classified } from './helpers/runs.js';
import { useBackend } from '../src/backend/backends.js';
import { selectExamples } from '../src/data/dataset.js';
import { lastM, meanProbabilities } from '../src/metrics/combine.js';
import { runTestSet, snapshotProbabilities } from '../src/ensemble/evaluateRun.js';
import { predictRun } from '../src/ensemble/predictRun.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { argmaxRow, type ProbabilityMatrix } from '../src/metrics/probabilities.js';
import { runCli, tempDir } from './helpers/cli.js';
import { collectErrors, expectClose, launchChromium, openReport, SCREENSHOT_DIR, startServe, stop, tableRow } from './helpers/browser.js';

const row = (p: ProbabilityMatrix, i = 0) => Array.from(p.data.subarray(i * p.numClasses, (i + 1) * p.numClasses));

describe('in a real browser (Debian chromium, headless)', () => {
  let runDir: string;
  let context: BrowserContext;
  let server: { child: ChildProcess; url: string } | undefined;

  beforeAll(async () => {
    await useBackend('wasm');
    runDir = path.join(tempDir(), 'run');
    const train = runCli(['train', '--train-size', '320', '--test-size', '200', '--epochs', '2', '--cycles', '2', '--lr0', '0.05', '--out', runDir]);
    expect(train.stderr).toContain('snapshot 2 saved');
    expect(train.code).toBe(0);
    expect(train.stdout).toContain(`report written to ${path.join(runDir, 'report.html')}`);
    context = await launchChromium();
  });

  afterAll(async () => {
    if (server !== undefined) await stop(server.child);
    await context?.close();
  });

  it('the report train wrote opens offline: every chart rendered as SVG marks, no console errors, nothing fetched', async () => {
    const report = path.join(runDir, 'report.html');
    expect(existsSync(report)).toBe(true);
    const { page, errors, requests, figures } = await openReport(context, report);
    expect(figures.map((f) => f.id)).toEqual(['learning-rate-and-loss', 'error-against-m', 'correlation', 'disagreement', 'reliability', 'error-against-cost']);
    for (const f of figures) {
      expect(f.marks, f.id).toBeGreaterThan(0);
      expect(f.width, f.id).toBeGreaterThan(150);
    }
    // M = 2: two snapshot points on the learning rate, a 2 x 2 correlation heatmap, four rows in the metrics table
    expect(await page.locator('#learning-rate-and-loss .mark-symbol.role-mark.concat_0_layer_1_marks path').count()).toBe(2);
    expect(await page.locator('#correlation .mark-rect.role-mark path').count()).toBe(4);
    expect(await page.locator('table.metrics tbody tr').count()).toBe(4);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(report).href]);
    await page.close();
  });

  it('the report compare wrote opens offline: every chart rendered, one heatmap per row with several members, no console errors', async () => {
    const out = path.join(tempDir(), 'cmp');
    const compare = runCli([
      'compare',
      ...['--train-size', '64', '--test-size', '40', '--batch-size', '32', '--epochs', '2', '--cycles', '2'],
      ...['--lr0', '0.05', '--snapshot-lr0', '0.05', '--rows', 'single:2,nocycle,snapshot:2', '--out', out],
    ]);
    expect(compare.code, compare.stderr).toBe(0);
    const report = path.join(out, 'report.html');
    const { page, errors, requests, figures } = await openReport(context, report);
    expect(figures.map((f) => f.id)).toEqual(['compare-error-against-m', 'compare-training', 'compare-error-against-cost', 'compare-correlation', 'compare-disagreement']);
    for (const f of figures) {
      expect(f.marks, f.id).toBeGreaterThan(0);
      expect(f.width, f.id).toBeGreaterThan(150);
    }
    // nocycle and snapshot have 2 members: two 2 x 2 heatmaps; Table 1 has the three rows
    expect(await page.locator('#compare-correlation .mark-rect.role-mark path').count()).toBe(8);
    expect(await page.locator('table.table1 tbody tr').count()).toBe(3);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'compare-report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(report).href]);
    await page.close();
  });

  it("the page runs the snapshots in the browser: the ensemble's class and probabilities equal the Node library's for the same image and m", async () => {
    server = await startServe(runDir);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
    const backend = await page.getAttribute('body', 'data-backend');
    expect(['webgl', 'wasm', 'cpu']).toContain(backend);
    expect(await page.locator('#grid button').count()).toBe(48);

    // The same image and the same snapshots in Node (wasm backend).
    const record = readRunRecord(runDir);
    const image = 7;
    const one = selectExamples(await runTestSet(record), [image]);
    const { probabilities: members } = await snapshotProbabilities(runDir, record, one);
    const ensemble = (m: number) => meanProbabilities(lastM(members, m));

    await page.click(`#grid button[data-test-index="${image}"]`);
    await page.waitForSelector('body[data-state="predicted"][data-predictions="1"]');
    expect(await page.textContent('#picked-caption')).toContain(`Test image ${image}, labelled ${record.data.classNames[one.labels[0]!]}`);
    expect(await page.getAttribute('#ensemble-row', 'data-m')).toBe('2');
    let shown = await tableRow(page, '#ensemble-row');
    expectClose(shown.exact, row(ensemble(2)), 1e-4);
    expectClose(shown.shown, row(ensemble(2)), 1e-4);
    expect(Number(await page.getAttribute('#ensemble-class', 'data-class-index'))).toBe(argmaxRow(ensemble(2), 0));
    expect(await page.textContent('#ensemble-class')).toBe(record.data.classNames[argmaxRow(ensemble(2), 0)]);
    for (const [i, member] of members.entries()) expectClose((await tableRow(page, `tr[data-snapshot="${i + 1}"]`)).exact, row(member), 1e-4);
    expect(await page.locator('#ensemble-row td.time').textContent()).toMatch(/^\d+(\.\d+)? ms$/);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page.png'), fullPage: true });

    // Moving the slider to m = 1 leaves only the last snapshot in the ensemble.
    await page.focus('#m');
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('#ensemble-row[data-m="1"]');
    expect(await page.textContent('#m-value')).toBe('1');
    shown = await tableRow(page, '#ensemble-row');
    expectClose(shown.exact, row(ensemble(1)), 1e-4);
    expectClose(shown.shown, row(ensemble(1)), 1e-4);
    expect(Number(await page.getAttribute('#ensemble-class', 'data-class-index'))).toBe(argmaxRow(ensemble(1), 0));
    const change = row(ensemble(2)).map((p, k) => Math.abs(p - row(ensemble(1))[k]!));
    expect(Math.max(...change)).toBeGreaterThan(1e-3);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-m1.png'), fullPage: true });

    // An uploaded PNG of the same image gives what `predict` gives for that PNG.
    const pngFile = path.join(tempDir(), 'upload.png');
    await writePng(pngFile, Uint8Array.from(one.images.subarray(0, 784)), 28, 28);
    await page.setInputFiles('#upload', pngFile);
    await page.waitForSelector('body[data-state="predicted"][data-predictions="2"]');
    const predicted = await predictRun(runDir, [pngFile], { last: 1 });
    expectClose((await tableRow(page, '#ensemble-row')).exact, row(classified(predicted).probabilities), 1e-4);
    expect(await page.textContent('#picked-caption')).toContain('Uploaded upload.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without WebGL the page falls back to wasm, whose bundled binaries come from the server; the cpu backend agrees', async () => {
    expect(server).toBeDefined();
    const record = readRunRecord(runDir);
    const image = 3;
    const { probabilities: members } = await snapshotProbabilities(runDir, record, selectExamples(await runTestSet(record), [image]));
    for (const [webgl, query, expected] of [[false, '', 'wasm'], [true, '?backend=cpu', 'cpu']] as const) {
      const page = await context.newPage();
      if (!webgl) {
        // A browser without WebGL: getContext answers null for every WebGL context type, as it does when WebGL is off.
        await page.addInitScript(() => {
          for (const proto of [HTMLCanvasElement.prototype, OffscreenCanvas.prototype] as { getContext: (...a: unknown[]) => unknown }[]) {
            const original = proto.getContext;
            proto.getContext = function (this: unknown, type: unknown, ...rest: unknown[]) {
              return typeof type === 'string' && type.includes('webgl') ? null : original.call(this, type, ...rest);
            };
          }
        });
      }
      const errors = collectErrors(page);
      const wasmFiles: string[] = [];
      page.on('response', (r) => {
        if (r.url().endsWith('.wasm')) wasmFiles.push(`${r.status()} ${new URL(r.url()).host}`);
      });
      await page.goto(`${server!.url}${query}`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
      const status = (await page.textContent('#status')) ?? '';
      expect(await page.getAttribute('body', 'data-backend'), status).toBe(expected);
      if (expected === 'wasm') {
        expect(status).toMatch(/skipped webgl: /);
        expect(wasmFiles).toEqual([`200 ${new URL(server!.url).host}`]);
      }
      await page.click(`#grid button[data-test-index="${image}"]`);
      await page.waitForSelector('body[data-state="predicted"][data-predictions="1"]');
      expectClose((await tableRow(page, '#ensemble-row')).exact, row(meanProbabilities(members)), 1e-4);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
