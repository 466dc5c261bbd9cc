import type { BenchWorkerResult } from './worker.js';

export interface TorchRun {
  model: string;
  train: { batch: number; imagesPerSecond: number; stepMs: number[] }[];
  infer: { batch: number; imagesPerSecond: number; stepMs: number[] };
  peakRssMiB: number;
}

export interface TorchReport {
  torch: string;
  threads: number;
  results: TorchRun[];
}

export interface BenchReport {
  date: string;
  cores: number;
  threads: number;
  /** 1, 5 and 15-minute load averages when the run started: these two cores are shared. */
  loadAverage: number[];
  notes: string[];
  ours: BenchWorkerResult[];
  failures: { backend: string; model: string; error: string }[];
  torch: TorchReport | null;
  /** Every round's raw results; `ours` and `torch` hold the medians over rounds. */
  rounds: { ours: BenchWorkerResult[]; torch: TorchReport[] }[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per backend and model, the median over rounds of every images/s figure; the largest peak memory. */
export function medianOurs(rounds: BenchWorkerResult[][]): BenchWorkerResult[] {
  const first = rounds[0] ?? [];
  return first.map((r) => {
    const same = rounds.flat().filter((o) => o.backend === r.backend && o.model === r.model);
    return {
      ...r,
      train: r.train.map((t) => ({ ...t, imagesPerSecond: median(same.map((o) => o.train.find((x) => x.batch === t.batch)!.imagesPerSecond)) })),
      infer: { ...r.infer, imagesPerSecond: median(same.map((o) => o.infer.imagesPerSecond)) },
      peakRssMiB: Math.max(...same.map((o) => o.peakRssMiB)),
    };
  });
}

/** PyTorch runs (one model each) merged into one report, medians over rounds. */
export function medianTorch(runs: TorchReport[]): TorchReport | null {
  if (runs.length === 0) return null;
  const all = runs.flatMap((r) => r.results);
  const models = [...new Set(all.map((r) => r.model))];
  return {
    torch: runs[0]!.torch,
    threads: runs[0]!.threads,
    results: models.map((model) => {
      const same = all.filter((r) => r.model === model);
      const first = same[0]!;
      return {
        ...first,
        train: first.train.map((t) => ({ ...t, imagesPerSecond: median(same.map((o) => o.train.find((x) => x.batch === t.batch)!.imagesPerSecond)) })),
        infer: { ...first.infer, imagesPerSecond: median(same.map((o) => o.infer.imagesPerSecond)) },
        peakRssMiB: Math.max(...same.map((o) => o.peakRssMiB)),
      };
    }),
  };
}

/**
 * Arithmetic ceilings per core of the 2-core AVX-512 machine this project is developed on (shared notes, engine
 * measurements): 128-bit WASM SIMD, about 48 GFLOP/s (860 images/s of the 112 MFLOP reference step on 2 cores);
 * native fp32 with AVX-512 FMA, about 175 GFLOP/s.
 */
export const WASM_SIMD_GFLOPS_PER_CORE = 48;
export const FP32_GFLOPS_PER_CORE = 175;

const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The table `npm run bench` prints: images/s per engine and model, peak memory, and the ratio to PyTorch. */
export function benchTable(report: BenchReport): string {
  const batches = [...new Set([...report.ours.flatMap((r) => r.train.map((t) => t.batch)), ...(report.torch?.results.flatMap((r) => r.train.map((t) => t.batch)) ?? [])])].sort((a, b) => a - b);
  const inferBatch = report.ours[0]?.infer.batch ?? report.torch?.results[0]?.infer.batch ?? 0;
  const header = ['engine', 'model', ...batches.map((b) => `train ${b}`), `infer ${inferBatch}`, 'peak MiB', ...batches.map((b) => `/torch ${b}`), '/torch infer'];
  const rows: string[][] = [header];
  const torchOf = (model: string) => report.torch?.results.find((r) => r.model === model);
  for (const r of report.ours) {
    const t = torchOf(r.model);
    const train = (b: number) => r.train.find((x) => x.batch === b)?.imagesPerSecond;
    const torchTrain = (b: number) => t?.train.find((x) => x.batch === b)?.imagesPerSecond;
    rows.push([
      r.threads === null ? r.backend : `${r.backend} x${r.threads}`,
      r.model,
      ...batches.map((b) => fmt(train(b))),
      fmt(r.infer.imagesPerSecond),
      fmt(r.peakRssMiB),
      ...batches.map((b) => ratio(train(b), torchTrain(b))),
      ratio(r.infer.imagesPerSecond, t?.infer.imagesPerSecond),
    ]);
  }
  for (const t of report.torch?.results ?? []) {
    rows.push([
      `torch ${report.torch!.torch} x${report.torch!.threads}`,
      t.model,
      ...batches.map((b) => fmt(t.train.find((x) => x.batch === b)?.imagesPerSecond)),
      fmt(t.infer.imagesPerSecond),
      fmt(t.peakRssMiB),
      ...batches.map(() => ''),
      '',
    ]);
  }
  const rounds = report.rounds.length > 1 ? `, median of ${report.rounds.length} rounds` : '';
  const lines = [`images/s (median step${rounds}), ${report.cores} cores, load average ${report.loadAverage.map((l) => l.toFixed(2)).join(' ')}`, pad(rows)];
  for (const r of report.ours.filter((o) => o.backend === 'wasm')) {
    const largest = r.train.reduce((a, b) => (b.batch > a.batch ? b : a));
    const gflops = (largest.imagesPerSecond * r.trainingFlopsPerImage) / 1e9;
    const threads = r.threads ?? 1;
    lines.push(
      `${r.model} training on wasm, batch ${largest.batch}: ${(r.trainingFlopsPerImage / 1e6).toFixed(0)} MFLOP/image, ${gflops.toFixed(1)} GFLOP/s = ` +
        `${((100 * gflops) / (WASM_SIMD_GFLOPS_PER_CORE * threads)).toFixed(0)}% of the 128-bit SIMD ceiling, ` +
        `${((100 * gflops) / (FP32_GFLOPS_PER_CORE * threads)).toFixed(0)}% of the fp32 peak of ${threads} core(s)`,
    );
    const leaks = r.train.filter((t) => new Set(t.tensors).size !== 1);
    lines.push(`${r.model} on wasm: tensors after every timed step ${leaks.length === 0 ? 'constant (no leak)' : 'GROWING: ' + JSON.stringify(leaks.map((t) => t.tensors))}`);
  }
  for (const f of report.failures) lines.push(`${f.backend} ${f.model} failed: ${f.error}`);
  for (const n of report.notes) lines.push(n);
  return lines.join('\n');
}
