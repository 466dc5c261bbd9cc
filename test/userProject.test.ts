import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';

/** The TF.js packages a user's model, tensors and callbacks share with ours: one copy of each must serve both. */
const SHARED = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const ours = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const installed = (name: string, root = ROOT) => JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as PackageJson;

describe('TF.js is a peer dependency: one engine for the user and for us', () => {
  it('declares the TF.js packages it shares as peers (~4.22.0, the range tested here) and installs them for its own development', () => {
    for (const name of SHARED) {
      expect(ours.dependencies?.[name], name).toBeUndefined();
      expect(ours.peerDependencies?.[name], name).toBe('~4.22.0');
      // npm ci in this repository installs them (the CLI and the tests run on them): the version tested
      expect(ours.devDependencies?.[name], name).toBe('4.22.0');
      expect(installed(name).version).toMatch(/^4\.22\.\d+$/);
    }
  });

  it("a user's project with its own TF.js builds a model, trains it with the callback and predicts with the ensemble, in one engine", () => {
    // The layout npm gives a project that depends on its own TF.js and on ours: one copy of each TF.js package at its
    // top level (a copy of its own, not ours), and our package without a node_modules of its own.
    const project = tempDir('se-user-');
    const modules = path.join(project, 'node_modules');
    for (const name of SHARED) {
      cpSync(path.join(ROOT, 'node_modules', name), path.join(modules, name), { recursive: true, filter: (f) => !/\.(map|min\.js)$|miniprogram/.test(f) });
    }
    const ourDir = path.join(modules, 'snapshot-ensembles');
    mkdirSync(ourDir, { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(ourDir, 'package.json'));
    const page = path.join(ROOT, 'dist', 'web'); // the browser page's bundle: not needed here
    cpSync(path.join(ROOT, 'dist'), path.join(ourDir, 'dist'), { recursive: true, filter: (f) => f !== page && !f.startsWith(page + path.sep) });
    // everything else the packages need (TF.js's own dependencies, ours), hoisted as npm does: linked from here
    for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
      if (name !== '@tensorflow' && name !== '.bin' && !name.startsWith('.')) symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name));
    }
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    writeFileSync(
      path.join(project, 'train.mjs'),
      `
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as se from 'snapshot-ensembles';

await se.useBackend('wasm', { threads: 1 });
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 3 })] });
model.compile({ optimizer: tf.train.sgd(0.1), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
const x = tf.randomNormal([30, 4], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: 30 }, (_, i) => i % 3), 'int32'), 3);
const snapshots = se.snapshotEnsembleCallback({ lr0: 0.1, cycles: 2 });
await model.fit(x, y, { epochs: 4, batchSize: 10, callbacks: [snapshots], verbose: 0 });
const probabilities = se.predictSnapshotEnsemble(model, snapshots.snapshots, x);
const ourRequire = createRequire(import.meta.resolve('snapshot-ensembles'));
console.log(JSON.stringify({
  tensor: probabilities instanceof tf.Tensor,
  callback: snapshots instanceof tfl.Callback,
  snapshotTensors: snapshots.snapshots.flat().every((w) => w instanceof tf.Tensor),
  shape: probabilities.shape,
  rowSum: tf.sum(probabilities, 1).dataSync()[0],
  ourCore: ourRequire.resolve('@tensorflow/tfjs-core'),
  ourLayers: ourRequire.resolve('@tensorflow/tfjs-layers'),
  backend: tf.getBackend(),
}));
`,
    );
    const r = spawnSync(process.execPath, ['train.mjs'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ tensor: true, callback: true, snapshotTensors: true, shape: [30, 3], backend: 'wasm' });
    expect(out.rowSum).toBeCloseTo(1, 5);
    // our package found the user's TF.js, not a copy of its own
    expect(String(out.ourCore).startsWith(path.join(modules, '@tensorflow', 'tfjs-core') + path.sep)).toBe(true);
    expect(String(out.ourLayers).startsWith(path.join(modules, '@tensorflow', 'tfjs-layers') + path.sep)).toBe(true);
  });

  it('a project that loads a second TF.js (a linked folder with its own node_modules) is told so in one line, not with a TypeError', () => {
    const project = tempDir('se-twice-');
    const modules = path.join(project, 'node_modules');
    const ourDir = path.join(modules, 'snapshot-ensembles');
    // the user's TF.js at the top, and another copy inside our package, as `npm install ../snapshot-ensembles` leaves it
    for (const root of [modules, path.join(ourDir, 'node_modules')]) {
      for (const name of SHARED) cpSync(path.join(ROOT, 'node_modules', name), path.join(root, name), { recursive: true, filter: (f) => !/\.(map|min\.js)$|miniprogram/.test(f) });
    }
    cpSync(path.join(ROOT, 'package.json'), path.join(ourDir, 'package.json'));
    const page = path.join(ROOT, 'dist', 'web');
    cpSync(path.join(ROOT, 'dist'), path.join(ourDir, 'dist'), { recursive: true, filter: (f) => f !== page && !f.startsWith(page + path.sep) });
    for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
      if (name !== '@tensorflow' && name !== '.bin' && !name.startsWith('.')) symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name));
    }
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    writeFileSync(
      path.join(project, 'train.mjs'),
      `
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as se from 'snapshot-ensembles';

await tf.setBackend('cpu');
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3 })] });
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
try {
  await model.fit(tf.zeros([8, 4]), tf.zeros([8, 3]), { epochs: 1, batchSize: 4, callbacks: [se.snapshotEnsembleCallback({ lr0: 0.1, cycles: 1 })], verbose: 0 });
  console.log('trained');
} catch (e) {
  console.log(e.message);
}
`,
    );
    const r = spawnSync(process.execPath, ['train.mjs'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^the model\.fit that was given snapshotEnsembleCallback comes from another copy of @tensorflow\/tfjs-layers than the one snapshot-ensembles uses: the project loads TF\.js twice/);
  });
});
