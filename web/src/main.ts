import './style.css';
import * as tf from '@tensorflow/tfjs-core';
import { isTableRun } from '../../src/serve/testRows.js';
import { checkTestSetReadable, fetchRunRecord, fetchTestImages, type RunRecord, type TestImages } from './api.js';
import { chooseBackend } from './backend.js';
import { blankExample, ensembleOfLast, exampleShape, loadSnapshots, predictMembers, warmUp, type ExampleValues, type LoadedSnapshot, type MemberPrediction } from './ensemble.js';
import { loadExported, predictExported, type ExportedModel, type ExportedPrediction } from './exported.js';
import { drawPixels, fileToPixels } from './images.js';
import { loadOnnx, predictOnnx, type OnnxModel, type OnnxPrediction } from './onnx.js';
import { gaussianOfLast, predictGaussians, type GaussianPrediction } from './regression.js';
import { showRegression } from './regressionView.js';
import { startTableInput } from './tableInput.js';
import { element, showPrediction, showTiming, type TimingRow } from './view.js';

/** How many of the run's test images the page offers to pick from. */
const GRID_IMAGES = 48;

const status = element<HTMLParagraphElement>('status');
const grid = element<HTMLDivElement>('grid');
const slider = element<HTMLInputElement>('m');
const sliderValue = element<HTMLOutputElement>('m-value');
const table = element<HTMLTableElement>('probabilities');
const summary = element<HTMLParagraphElement>('ensemble-summary');
const pickedImage = element<HTMLCanvasElement>('picked-image');
const pickedCaption = element<HTMLParagraphElement>('picked-caption');
const upload = element<HTMLInputElement>('upload');
const invert = element<HTMLInputElement>('invert');
const exportedSection = element<HTMLElement>('exported-section');
const exportedStatus = element<HTMLParagraphElement>('exported-status');
const onnxStatus = element<HTMLParagraphElement>('onnx-status');
const timeButton = element<HTMLButtonElement>('time-test-set');
const timingTable = element<HTMLTableElement>('test-set-table');

let record: RunRecord;
let snapshots: LoadedSnapshot[] = [];
let members: MemberPrediction[] = [];
/** A regression run's snapshots' predictions for the picked example (members stays empty). */
let gaussians: GaussianPrediction[] = [];
let predictions = 0;
/** The model written by `export`, when the page was opened with ?export=DIR, and its output for the picked image. */
let exported: ExportedModel | null = null;
let exportedOutput: ExportedPrediction | null = null;
/** The file written by `export --format onnx`, when the page was opened with ?onnx=FILE, and its output. */
let onnxModel: OnnxModel | null = null;
let onnxOutput: OnnxPrediction | null = null;

function setState(state: 'loading' | 'ready' | 'predicting' | 'predicted' | 'error'): void {
  document.body.dataset['state'] = state;
}

/** Recomputes the ensemble of the last m from the members' outputs already at hand, and shows it. */
function showEnsemble(): void {
  const m = Number(slider.value);
  sliderValue.value = String(m);
  if (gaussians.length > 0) return showRegressionEnsemble(m);
  if (members.length === 0) return;
  const start = performance.now();
  const ensemble = ensembleOfLast(members, m);
  const averaging = performance.now() - start;
  const passes = members.slice(members.length - m).reduce((sum, p) => sum + p.milliseconds, 0);
  showPrediction(table, summary, {
    members,
    m,
    ensemble,
    ensembleMilliseconds: passes + averaging,
    classNames: record.data.classNames,
    ...(exported === null || exportedOutput === null ? {} : { exported: { path: exported.path, ...exportedOutput } }),
    ...(onnxModel === null || onnxOutput === null ? {} : { onnx: { path: onnxModel.path, ...onnxOutput } }),
  });
}

/** The regression counterpart of showEnsemble: the ensemble's mean and standard deviation, and each snapshot's prediction. */
function showRegressionEnsemble(m: number): void {
  const start = performance.now();
  const ensemble = gaussianOfLast(gaussians, m);
  const passes = gaussians.slice(gaussians.length - m).reduce((sum, p) => sum + p.milliseconds, 0);
  const e = exported === null || exportedOutput === null ? undefined : exportedOutput.probabilities;
  showRegression(table, summary, {
    target: record.data.classNames[0] ?? 'prediction',
    members: gaussians,
    m,
    ensemble,
    ensembleMilliseconds: passes + performance.now() - start,
    ...(e === undefined ? {} : { exported: { path: exported!.path, mean: e[0]!, variance: e[1]!, milliseconds: exportedOutput!.milliseconds } }),
  });
}

/** Counts classify() calls: a prediction that finishes after a newer image was picked is dropped. */
let picks = 0;

/** Predicts one example: an image's bytes, or a table row's numbers. */
async function classify(pixels: ExampleValues, caption: string): Promise<void> {
  const [h, w, c] = record.data.inputShape;
  const pick = ++picks;
  setState('predicting');
  if (pixels instanceof Uint8Array) drawPixels(pickedImage, pixels, w, h, c);
  pickedCaption.textContent = caption;
  const regression = record.data.task === 'regression';
  const predicted = regression ? [] : await predictMembers(snapshots, record, pixels);
  const predictedGaussians = regression ? await predictGaussians(snapshots, record, pixels) : [];
  const fromExport = exported === null ? null : await predictExported(exported, pixels, 1, exampleShape(record));
  // the page runs an ONNX file for image classifiers (raw pixels in, probabilities out)
  const fromOnnx = onnxModel === null || !(pixels instanceof Uint8Array) ? null : await predictOnnx(onnxModel, pixels, 1, [h, w, c]);
  if (pick !== picks) return;
  members = predicted;
  gaussians = predictedGaussians;
  exportedOutput = fromExport;
  onnxOutput = fromOnnx;
  predictions++;
  document.body.dataset['predictions'] = String(predictions);
  showEnsemble();
  setState('predicted');
}

function fillGrid(test: TestImages): void {
  const { height: h, width: w, channels: c } = test;
  const size = h * w * c;
  grid.replaceChildren();
  for (let i = 0; i < test.count; i++) {
    const pixels = test.images.slice(i * size, (i + 1) * size);
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'option');
    button.setAttribute('aria-selected', 'false');
    button.dataset['testIndex'] = String(test.indices[i]);
    const label = record.data.classNames[test.labels[i]!] ?? String(test.labels[i]);
    button.title = `test image ${test.indices[i]}: ${label}`;
    const canvas = document.createElement('canvas');
    drawPixels(canvas, pixels, w, h, c);
    button.append(canvas);
    button.addEventListener('click', () => {
      for (const b of grid.querySelectorAll('button')) b.setAttribute('aria-selected', String(b === button));
      void classify(pixels, `Test image ${test.indices[i]}, labelled ${label}.`).catch(fail);
    });
    grid.append(button);
  }
}

function errorRate(probabilities: Float32Array, labels: readonly number[], numClasses: number): number {
  let wrong = 0;
  labels.forEach((label, i) => {
    let top = 0;
    for (let k = 1; k < numClasses; k++) if (probabilities[i * numClasses + k]! > probabilities[i * numClasses + top]!) top = k;
    if (top !== label) wrong++;
  });
  return wrong / labels.length;
}

/**
 * The exported models (one pass each: the TF.js layers model, the ONNX file in ONNX Runtime Web) against the
 * ensemble of the same snapshots (one pass each) on the run's test images (up to 1000), as one batch each. Their
 * probabilities are kept on the table, in data-probabilities (TF.js) and data-onnx-probabilities, for anyone who
 * wants to check them.
 */
async function timeTestSet(): Promise<void> {
  setState('predicting');
  const test = await fetchTestImages(1000);
  const k = record.data.numClasses;
  const shape = [test.height, test.width, test.channels] as const;
  const named = exported?.members ?? onnxModel?.members ?? null;
  const chosen = named === null ? snapshots : snapshots.filter((s) => named.includes(s.index));
  const passes = await predictMembers(chosen, record, test.images, test.count);
  const ensemble = ensembleOfLast(passes, passes.length, k);
  const rows: TimingRow[] = [
    {
      id: 'ensemble',
      label: `ensemble of snapshots ${chosen.map((s) => s.index).join(', ')} (mean, TF.js)`,
      passes: chosen.length,
      error: errorRate(ensemble.data, test.labels, k),
      milliseconds: passes.reduce((sum, p) => sum + p.milliseconds, 0),
      images: test.count,
    },
  ];
  if (exported !== null) {
    const output = await predictExported(exported, test.images, test.count, shape);
    rows.push({ id: 'exported', label: `exported model (${exported.path}, TF.js)`, passes: 1, error: errorRate(output.probabilities, test.labels, k), milliseconds: output.milliseconds, images: test.count });
    timingTable.dataset['probabilities'] = JSON.stringify(Array.from(output.probabilities));
  }
  if (onnxModel !== null) {
    const output = await predictOnnx(onnxModel, test.images, test.count, shape);
    rows.push({ id: 'onnx', label: `ONNX file (${onnxModel.path}, ONNX Runtime Web)`, passes: 1, error: errorRate(output.probabilities, test.labels, k), milliseconds: output.milliseconds, images: test.count });
    timingTable.dataset['onnxProbabilities'] = JSON.stringify(Array.from(output.probabilities));
  }
  showTiming(timingTable, rows);
  timingTable.dataset['count'] = String(test.count);
  document.body.dataset['timed'] = String(Number(document.body.dataset['timed'] ?? '0') + 1);
  setState('predicted');
}

function fail(e: unknown): void {
  setState('error');
  status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = await chooseBackend(params.get('backend'));
  document.body.dataset['backend'] = backend.name;
  record = await fetchRunRecord();
  element('run-name').textContent = `\u2014 ${record.config.model} on ${record.data.name}, ${record.snapshots.length} snapshots`;
  if (record.snapshots.length === 0) throw new Error('the run holds no snapshots yet');
  const loadStart = performance.now();
  snapshots = await loadSnapshots(record, (done, total) => {
    status.textContent = `Loading snapshot ${done} of ${total} on ${backend.name}\u2026`;
  });
  await warmUp(snapshots, record);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const exportPath = params.get('export');
  if (exportPath !== null) {
    const model = await loadExported(exportPath);
    await predictExported(model, blankExample(record), 1, exampleShape(record));
    exported = model;
    exportedSection.hidden = false;
    const of = model.members === null ? '' : ` (the ensemble of snapshots ${model.members.join(', ')})`;
    exportedStatus.textContent = `Loaded the exported model ${model.path}${of} with one tf.loadLayersModel in ${(model.loadMilliseconds / 1000).toFixed(2)} s.`;
  }
  const onnxPath = params.get('onnx');
  if (onnxPath !== null && (isTableRun(record.data) || record.data.task === 'regression')) {
    exportedSection.hidden = false;
    onnxStatus.textContent = `Not loaded: the page runs ONNX files of image classifiers; run ${onnxPath} with onnxruntime-node (see the README).`;
  } else if (onnxPath !== null) {
    const [h, w, c] = record.data.inputShape;
    const model = await loadOnnx(onnxPath);
    await predictOnnx(model, new Uint8Array(h * w * c), 1, [h, w, c]);
    onnxModel = model;
    exportedSection.hidden = false;
    const of = model.members === null ? '' : ` (the ensemble of snapshots ${model.members.join(', ')})`;
    onnxStatus.textContent = `Loaded the ONNX file ${model.path}${of} into ONNX Runtime Web (wasm) in ${(model.loadMilliseconds / 1000).toFixed(2)} s.`;
  }
  if (exported !== null || onnxModel !== null) timeButton.addEventListener('click', () => void timeTestSet().catch(fail));
  slider.max = String(snapshots.length);
  slider.value = String(snapshots.length);
  sliderValue.value = slider.value;
  slider.addEventListener('input', showEnsemble);
  upload.addEventListener('change', () => {
    const file = upload.files?.[0];
    if (file === undefined) return;
    const [h, w, c] = record.data.inputShape;
    for (const b of grid.querySelectorAll('button')) b.setAttribute('aria-selected', 'false');
    void fileToPixels(file, w, h, c, invert.checked)
      .then((pixels) => classify(pixels, `Uploaded ${file.name}, scaled to ${w}x${h}${invert.checked ? ', inverted' : ''}.`))
      .catch(fail);
  });
  let note = '';
  if (isTableRun(record.data)) {
    timeButton.disabled = true;
    timeButton.title = 'timing on the test set is for image runs';
    note = await startTableInput(record, (values, caption) => void classify(values, caption).catch(fail));
  } else {
    try {
      checkTestSetReadable(record);
      fillGrid(await fetchTestImages(GRID_IMAGES));
    } catch (e) {
      note = ` No test images to pick from (${(e as Error).message}); upload one instead.`;
    }
  }
  const skipped = backend.skipped.length === 0 ? '' : ` (skipped ${backend.skipped.join('; ')})`;
  status.textContent =
    `${snapshots.length} snapshots loaded in ${loadSeconds.toFixed(2)} s with tf.loadLayersModel; TF.js ${tf.version_core} on the ` +
    `${backend.name} backend${skipped}.${note}`;
  setState('ready');
}

start().catch(fail);
