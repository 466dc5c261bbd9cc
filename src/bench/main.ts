#!/usr/bin/env node
/**
 * `npm run bench`: training and inference images/s of cnn, resnet20, wrn-16-4 and densenet40 on every available
 * backend, peak memory, and the same networks and steps in PyTorch (bench/torch_bench.py) under each Python that
 * imports torch (Debian's /usr/bin/python3, and the virtual environment `npm run bench:torch2` makes), with the
 * ratio ours / PyTorch and the share of the cores' fp32 peak. Prints a table and writes the whole result as JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadavg } from 'node:os';
import { BACKEND_NAMES, type EngineName } from '../backend/backends.js';
import { UserError } from '../util/errors.js';
import { availableCores } from '../backend/wasmNode.js';
import { probeNative, probeTensorflow, probeWebGpu } from '../backend/probes.js';
import { timeStamp } from '../cli/format.js';
import { integer } from '../cli/parsers.js';
import { fp32PeakGflopsPerCore } from '../models/flops.js';
import { benchTable, medianOurs, medianTorch, type BenchReport, type PeakInfo, type TorchReport } from './report.js';
import type { EnsembleTiming } from './ensembleJob.js';
import { ensembleTable, medianEnsembles } from './onnxReport.js';
import type { BenchJob, BenchWorkerResult } from './worker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENGINES = BACKEND_NAMES.filter((b): b is EngineName => b !== 'auto');
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const ONNX_WORKER = fileURLToPath(new URL('./onnxWorker.js', import.meta.url));
const TORCH_SCRIPT = path.join(ROOT, 'bench', 'torch_bench.py');
/** Debian's PyTorch 1.13, and PyTorch 2 in the virtual environment of `npm run bench:torch2`. */
const DEFAULT_PYTHONS = ['/usr/bin/python3', path.join(ROOT, 'bench', '.venv', 'bin', 'python')];

interface Flags {
  backends?: string;
  models: string;
  trainBatches: string;
  inferBatch: number;
  steps: number;
  threads?: number;
  torch: boolean;
  pythons?: string;
  rounds: number;
  ensemble: number;
  onnx: boolean;
  out?: string;
}

const list = (s: string) => s.split(',').map((v) => v.trim()).filter((v) => v !== '');

/** Engines worth timing here: wasm always, tensorflow, native and webgpu when their probes say yes; cpu only on request. */
async function availableBackends(): Promise<{ backends: EngineName[]; notes: string[] }> {
  const notes: string[] = [];
  const backends: EngineName[] = [];
  const tensorflow = await probeTensorflow();
  if (tensorflow.ok) backends.push('tensorflow');
  else notes.push(`tensorflow skipped: ${tensorflow.detail}`);
  const native = await probeNative();
  if (native.ok) backends.push('native');
  else notes.push(`native skipped: ${native.detail}`);
  const webgpu = await probeWebGpu();
  if (webgpu.ok) backends.push('webgpu');
  else notes.push(`webgpu skipped: ${webgpu.detail}`);
  backends.push('wasm');
  notes.push('cpu skipped: the pure-JS backend trains these networks at under 1 image/s (--backends cpu to time it)');
  return { backends, notes };
}

/** Runs one worker process on a job; its one JSON line, or why it failed. */
function spawnWorker<T>(worker: string, job: object): T | { error: string } {
  const r = spawnSync(process.execPath, [worker, JSON.stringify(job)], { encoding: 'utf8', cwd: ROOT, maxBuffer: 16 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status === 0 && line.startsWith('{')) return JSON.parse(line) as T;
  const why = r.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? `exit code ${r.status}`;
  return { error: why.replace(/^error: /, '') };
}

const runWorker = (job: BenchJob) => spawnWorker<BenchWorkerResult>(WORKER, job);

/** Why PyTorch cannot be timed under `python`, or null when it imports torch and numpy. */
function torchMissing(python: string): string | null {
  if (!existsSync(python)) return `${python} not found`;
  const check = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return check.status === 0 ? null : `${python} cannot import torch and numpy`;
}

function runTorch(flags: Flags, python: string, model: string, threads: number): TorchReport | { error: string } {
  const args = [TORCH_SCRIPT, '--models', model, '--train-batches', flags.trainBatches, '--infer-batch', String(flags.inferBatch), '--steps', String(flags.steps), '--threads', String(threads)];
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) return { error: `torch_bench.py failed: ${r.stderr.trim().split('\n').pop()}` };
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<TorchReport, 'python'>), python };
}

/** The fp32 peak per core from /proc/cpuinfo (SIMD width from its flags, the nominal clock). */
function cpuPeak(): PeakInfo {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(/\s+/) ?? [];
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1] ?? NaN);
  if (!Number.isFinite(mhz) || flags.length === 0) return { gflopsPerCore: NaN, how: '/proc/cpuinfo gives no clock or flags here' };
  const simd = flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : 'SSE';
  return { gflopsPerCore: fp32PeakGflopsPerCore(flags, mhz), how: `2 ${simd} FMA units x 2 FLOP per lane x ${mhz} MHz nominal clock, from /proc/cpuinfo` };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('training and inference images/s on each available backend, against PyTorch')
    .option('--backends <list>', `comma-separated, from ${ENGINES.join(', ')} (default: those available, but cpu)`)
    .option('--models <list>', 'models to time', 'cnn,resnet20,wrn-16-4,densenet40')
    .option('--train-batches <list>', 'training batch sizes', '64,128')
    .option('--infer-batch <n>', 'inference batch size', integer(1), 1000)
    .option('--steps <n>', 'timed training steps per batch size (after 2 untimed)', integer(1), 5)
    .option('--threads <n>', 'wasm and PyTorch threads (default: one per core)', integer(1))
    .option('--no-torch', 'do not run the PyTorch comparison')
    .option('--pythons <list>', `Python interpreters to time PyTorch under (default: those of ${DEFAULT_PYTHONS.map((p) => path.relative(ROOT, p) || p).join(', ')} that import torch)`)
    .option('--rounds <n>', 'repeat everything, interleaving ours and PyTorch per model; medians are reported', integer(1), 1)
    .option('--ensemble <m>', 'also time the inference of an ensemble of m members (batch --infer-batch and 1) on each engine and exported to ONNX Runtime; 0 skips', integer(0), 3)
    .option('--no-onnx', 'do not time ONNX Runtime on the exported ensemble')
    .option('--out <file>', 'where to write the JSON report (default: runs/bench-<time>.json)');
  program.parse(argv);
  const flags = program.opts<Flags>();
  const threads = flags.threads ?? availableCores();
  if (flags.backends !== undefined) {
    const unknown = list(flags.backends).filter((b) => !ENGINES.includes(b as EngineName));
    if (unknown.length > 0) throw new UserError(`--backends: unknown engine '${unknown[0]}' (expected some of ${ENGINES.join(', ')})`);
  }
  const { backends, notes } = flags.backends === undefined ? await availableBackends() : { backends: list(flags.backends) as EngineName[], notes: [] };
  const report: BenchReport = {
    date: new Date().toISOString(),
    cores: availableCores(),
    threads,
    loadAverage: loadavg(),
    notes,
    peak: cpuPeak(),
    ours: [],
    failures: [],
    torch: [],
    rounds: [],
    ensembles: [],
  };
  const rounds: { ours: BenchWorkerResult[]; torch: TorchReport[]; onnx: EnsembleTiming[] }[] = [];
  const ensemble = flags.ensemble > 0 ? { members: flags.ensemble, batches: [...new Set([flags.inferBatch, 1])] } : undefined;
  if (ensemble === undefined) report.notes.push('ensemble inference skipped: --ensemble 0');
  else if (!flags.onnx) report.notes.push('ONNX Runtime skipped: not asked for (--no-onnx)');
  const pythons: string[] = [];
  if (!flags.torch) report.notes.push('PyTorch skipped: not asked for (--no-torch)');
  else {
    for (const python of flags.pythons === undefined ? DEFAULT_PYTHONS : list(flags.pythons)) {
      const missing = torchMissing(python);
      if (missing === null) pythons.push(python);
      else report.notes.push(`PyTorch under ${python} skipped: ${missing}${python.includes('.venv') ? ' (npm run bench:torch2 makes it)' : ''}`);
    }
  }
  for (let round = 1; round <= flags.rounds; round++) {
    const results: { ours: BenchWorkerResult[]; torch: TorchReport[]; onnx: EnsembleTiming[] } = { ours: [], torch: [], onnx: [] };
    // Per model, ours then PyTorch straight after: on shared cores the load drifts, and the ratio is what counts.
    for (const model of list(flags.models)) {
      for (const backend of backends) {
        process.stderr.write(`round ${round}/${flags.rounds}: ${model} on ${backend}...\n`);
        const job: BenchJob = { backend, threads, model, trainBatches: list(flags.trainBatches).map(Number), inferBatch: flags.inferBatch, steps: flags.steps, ...(ensemble === undefined ? {} : { ensemble }) };
        const result = runWorker(job);
        if ('error' in result) report.failures.push({ backend, model, error: result.error });
        else results.ours.push(result);
      }
      // ONNX Runtime on the same ensemble exported as one graph, same threads and batches, straight after ours
      if (ensemble !== undefined && flags.onnx) {
        process.stderr.write(`round ${round}/${flags.rounds}: ${model} x${ensemble.members} in ONNX Runtime...\n`);
        const onnx = spawnWorker<EnsembleTiming>(ONNX_WORKER, { model, ...ensemble, steps: flags.steps, threads });
        if ('error' in onnx) report.failures.push({ backend: 'onnxruntime', model, error: onnx.error });
        else results.onnx.push(onnx);
      }
      for (const python of pythons) {
        process.stderr.write(`round ${round}/${flags.rounds}: ${model} in PyTorch under ${python}...\n`);
        const torch = runTorch(flags, python, model, threads);
        if ('error' in torch) report.notes.push(`PyTorch ${model} under ${python}: ${torch.error}`);
        else results.torch.push(torch);
      }
    }
    rounds.push(results);
  }
  report.rounds = rounds.map(({ ours, torch }) => ({ ours, torch }));
  report.ours = medianOurs(rounds.map((r) => r.ours));
  report.torch = medianTorch(rounds.flatMap((r) => r.torch));
  report.ensembles = medianEnsembles(rounds.map((r) => [...r.ours.flatMap((o) => (o.ensemble === null ? [] : [o.ensemble])), ...r.onnx]));
  const out = flags.out ?? path.join('runs', `bench-${timeStamp(new Date(report.date))}.json`);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const ensembles = report.ensembles.length === 0 ? '' : `\n${ensembleTable(report.ensembles)}`;
  process.stdout.write(benchTable(report) + ensembles + `\nJSON: ${out}\n`);
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
