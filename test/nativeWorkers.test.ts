import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/backend/native/addon.js';
import { ROOT } from './helpers/cli.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';

/** Runs a CommonJS script in a fresh node (a crash shows as a signal here); returns its last line, parsed. */
function runScript(source: string) {
  const r = spawnSync(process.execPath, ['-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, result: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null };
}

// Convolutions of several geometries (each builds its own oneDNN primitive, cached per environment), summed.
const CONVOLUTIONS = `
  function convolutions(addon, rounds) {
    const sums = [];
    for (let r = 0; r < rounds; r++) {
      for (let k = 1; k <= 5; k += 2) {
        const n = 2, h = 12, ci = 8, co = 16, oh = h - k + 1;
        const x = Float32Array.from({ length: n * h * h * ci }, (_, i) => Math.sin(i));
        const w = Float32Array.from({ length: k * k * ci * co }, (_, i) => Math.cos(i));
        const y = new Float32Array(n * oh * oh * co);
        addon.conv2dForward([n, h, h, ci, k, k, co, oh, oh, 1, 1, 1, 1, 0, 0, 0, 0], x, w, null, y, false);
        sums.push(y.reduce((a, b) => a + b, 0));
      }
    }
    return sums;
  }`;

describe.skipIf(!nativeLoad.ok)(`the addon in worker threads (${nativeSkipReason ?? 'addon loaded'})`, () => {
  it('each worker has its own oneDNN engine, stream, primitive cache and thread count; results equal the main thread\'s, and the main thread works on after the workers end', () => {
    const r = runScript(`
      const { Worker } = require('node:worker_threads');
      const addonFile = ${JSON.stringify(addonPath())};
      ${CONVOLUTIONS}
      const addon = require(addonFile);
      addon.setThreads(2);
      const expected = convolutions(addon, 1);
      const workerSource = ${JSON.stringify(`
        const { parentPort, workerData } = require('node:worker_threads');
        ${CONVOLUTIONS}
        const addon = require(workerData.addonFile);
        const cachedAtStart = addon.cachedPrimitives();
        addon.setThreads(1);
        parentPort.postMessage({ sums: convolutions(addon, 20), threads: addon.getThreads(), cachedAtStart, cached: addon.cachedPrimitives() });
      `)};
      const start = () => new Worker(workerSource, { eval: true, workerData: { addonFile } });
      const done = (w) => new Promise((resolve, reject) => { w.on('message', resolve); w.on('error', reject); });
      (async () => {
        const workers = [start(), start(), start()];
        const stopped = start();
        const stoppedExit = new Promise((resolve) => stopped.on('exit', resolve));
        setTimeout(() => stopped.terminate(), 5);  // an environment torn down while it may be computing
        const mainWhileWorkersRun = convolutions(addon, 5);
        const results = await Promise.all(workers.map(done));
        await stoppedExit;
        const after = convolutions(addon, 1);
        console.log(JSON.stringify({ expected, mainWhileWorkersRun, results, after, mainThreads: addon.getThreads(), mainCached: addon.cachedPrimitives() }));
      })();
    `);
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const { expected, mainWhileWorkersRun, results, after, mainThreads, mainCached } = r.result as {
      expected: number[];
      mainWhileWorkersRun: number[];
      results: { sums: number[]; threads: number; cachedAtStart: number; cached: number }[];
      after: number[];
      mainThreads: number;
      mainCached: number;
    };
    expect(expected).toHaveLength(3);
    expect(mainWhileWorkersRun).toEqual([...expected, ...expected, ...expected, ...expected, ...expected]);
    for (const w of results) {
      // its own cache: empty when it loads the addon (the main thread had built 3 primitives), its 3 at the end
      expect([w.cachedAtStart, w.cached]).toEqual([0, 3]);
      expect(w.threads).toBe(1);
      expect(w.sums).toHaveLength(60);
      // a 1-thread convolution sums in another order than a 2-thread one: equal to float32 rounding
      w.sums.forEach((s, i) => expect(Math.abs(s - expected[i % 3]!)).toBeLessThan(1e-3 * Math.abs(expected[i % 3]!) + 1e-3));
    }
    expect(after).toEqual(expected);
    expect(mainThreads).toBe(2);
    expect(mainCached).toBe(3);
  });

  it('the native backend trains a step in a worker thread and gets the main thread\'s numbers', () => {
    const library = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
    const step = `
      async function step() {
        const tf = await import('@tensorflow/tfjs-core');
        const se = await import(${JSON.stringify(library)});
        await se.useBackend('native', { threads: 1 });
        const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
        const w = tf.variable(tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2));
        const labels = tf.oneHot(tf.tensor1d([0, 1, 4, 2], 'int32'), 5);
        const loss = () => tf.losses.softmaxCrossEntropy(labels, tf.mean(tf.relu(tf.conv2d(x, w, 1, 'same')), [1, 2]));
        const { grads } = tf.variableGrads(loss);
        return { backend: tf.getBackend(), loss: loss().dataSync()[0], grad: Array.from(grads[w.name].dataSync()) };
      }`;
    const r = runScript(`
      const { Worker } = require('node:worker_threads');
      ${step}
      (async () => {
        const here = await step();
        const worker = new Worker(${JSON.stringify(`const { parentPort } = require('node:worker_threads'); ${step} step().then((r) => parentPort.postMessage(r));`)}, { eval: true });
        const there = await new Promise((resolve, reject) => { worker.on('message', resolve); worker.on('error', reject); });
        console.log(JSON.stringify({ here, there }));
      })();
    `);
    expect(r.status, r.stderr).toBe(0);
    const { here, there } = r.result as { here: { backend: string; loss: number; grad: number[] }; there: typeof here };
    expect(there.backend).toBe('native');
    expect(there.loss).toBe(here.loss);
    expect(there.grad).toEqual(here.grad);
    expect(here.grad.some((g) => g !== 0)).toBe(true);
  });
});
