import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';

/** npm run bench, at toy sizes: it runs end to end and writes what it prints. Speed itself is never asserted here. */
const BENCH = path.join(ROOT, 'dist', 'bench', 'main.js');
const bench = (args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });

describe('npm run bench', () => {
  it('times training and inference, counts the network\'s FLOPs, checks for leaked tensors and writes the JSON it printed', () => {
    const out = path.join(tempDir(), 'bench.json');
    const r = bench(['--backends', 'wasm', '--models', 'cnn', '--train-batches', '8', '--infer-batch', '16', '--steps', '2', '--no-torch', '--threads', '1', '--ensemble', '2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wasm x1\s+cnn\s+[\d.]+\s+[\d.]+\s+\d+/m);
    expect(r.stdout).toContain('cnn on wasm: tensors after every timed step constant (no leak)');
    expect(r.stdout).toContain('PyTorch skipped: not asked for (--no-torch)');
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      ours: { backend: string; model: string; threads: number; trainingFlopsPerImage: number; forwardFlopsPerImage: number; train: { batch: number; imagesPerSecond: number; stepMs: number[]; tensors: number[] }[]; infer: { batch: number; stepMs: number[]; tensors: number[] } }[];
      torch: unknown;
    };
    expect(report.ours).toHaveLength(1);
    const [cnn] = report.ours;
    expect(cnn).toMatchObject({ backend: 'wasm', model: 'cnn', threads: 1 });
    // a training step is a forward pass and a backward pass of about twice its cost
    expect(cnn!.trainingFlopsPerImage).toBe(3 * cnn!.forwardFlopsPerImage);
    expect(cnn!.train.map((t) => [t.batch, t.stepMs.length])).toEqual([[8, 2]]);
    expect(cnn!.train[0]!.imagesPerSecond).toBeGreaterThan(0);
    expect(new Set(cnn!.train[0]!.tensors).size).toBe(1);
    expect(new Set(cnn!.infer.tensors).size).toBe(1);
    expect(report.torch).toEqual([]);

    // the ensemble of 2 at batch 16 and batch 1, ours on wasm and ONNX Runtime on its export, both on 1 thread
    expect(r.stdout).toMatch(/^ensemble of 2 at inference/m);
    expect(r.stdout).toMatch(/^wasm x1\s+cnn\s+\d+\s+[\d.]+ ms\s+[\d.]+x\s+[\d.]+x$/m);
    expect(r.stdout).toMatch(/^onnxruntime-node 1\.30\.0 x1\s+cnn\s+\d+\s+[\d.]+ ms$/m);
    const { ensembles } = JSON.parse(readFileSync(out, 'utf8')) as { ensembles: { engine: string; threads: number; members: number; infer: { batch: number; stepMs: number[] }[] }[] };
    expect(ensembles.map((e) => [e.engine, e.threads, e.members])).toEqual([
      ['wasm', 1, 2],
      ['onnxruntime-node 1.30.0', 1, 2],
    ]);
    for (const e of ensembles) expect(e.infer.map((t) => [t.batch, t.stepMs.length])).toEqual([[16, 2], [1, 20]]);
  });

  it('refuses an engine it does not know with one line and a non-zero exit', () => {
    const r = bench(['--backends', 'wasm,gpu', '--no-torch']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(["error: --backends: unknown engine 'gpu' (expected some of native, wasm, cpu, tensorflow, webgpu)"]);
  });
});
