import type { EnsembleTiming } from './ensembleJob.js';
import type { BenchWorkerResult } from './worker.js';

export interface TorchRun {
  model: string;
  train: { batch: number; imagesPerSecond: number; stepMs: number[] }[];
  infer: { batch: number; imagesPerSecond: number; stepMs: number[] };
  /** Peak resident memory of the process after training, before inference, in MiB. */
  trainPeakRssMiB: number;
  /** Peak resident memory of the process at the end (training and inference), in MiB. */
  peakRssMiB: number;
}

export interface TorchReport {
  torch: string;
  /** The interpreter that ran it (added by the bench, not the script). */
  python: string;
  threads: number;
  results: TorchRun[];
}

/** The fp32 peak the shares of peak are taken from, and how it was found. */
export interface PeakInfo {
  gflopsPerCore: number;
  how: string;
}

export interface BenchReport {
  date: string;
  cores: number;
  threads: number;
  /** 1, 5 and 15-minute load averages when the run started: these two cores are shared. */
  loadAverage: number[];
  notes: string[];
  peak: PeakInfo;
  ours: BenchWorkerResult[];
  failures: { backend: string; model: string; error: string }[];
  /** One report per PyTorch interpreter timed (medians over rounds); empty when none was. */
  torch: TorchReport[];
  /** Every round's raw results; `ours` and `torch` hold the medians over rounds. */
  rounds: { ours: BenchWorkerResult[]; torch: TorchReport[] }[];
  /** The m-member ensemble's inference on each engine and in ONNX Runtime (medians over rounds). */
  ensembles: EnsembleTiming[];
}

export function median(values: number[]): number {
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
      trainPeakRssMiB: Math.max(...same.map((o) => o.trainPeakRssMiB)),
      peakRssMiB: Math.max(...same.map((o) => o.peakRssMiB)),
    };
  });
}

/** PyTorch runs (one model each) merged into one report per interpreter, medians over rounds. */
export function medianTorch(runs: TorchReport[]): TorchReport[] {
  const pythons = [...new Set(runs.map((r) => r.python))];
  return pythons.map((python) => medianOneTorch(runs.filter((r) => r.python === python)));
}

function medianOneTorch(runs: TorchReport[]): TorchReport {
  const all = runs.flatMap((r) => r.results);
  const models = [...new Set(all.map((r) => r.model))];
  return {
    torch: runs[0]!.torch,
    python: runs[0]!.python,
    threads: runs[0]!.threads,
    results: models.map((model) => {
      const same = all.filter((r) => r.model === model);
      const first = same[0]!;
      return {
        ...first,
        train: first.train.map((t) => ({ ...t, imagesPerSecond: median(same.map((o) => o.train.find((x) => x.batch === t.batch)!.imagesPerSecond)) })),
        infer: { ...first.infer, imagesPerSecond: median(same.map((o) => o.infer.imagesPerSecond)) },
        trainPeakRssMiB: Math.max(...same.map((o) => o.trainPeakRssMiB)),
        peakRssMiB: Math.max(...same.map((o) => o.peakRssMiB)),
      };
    }),
  };
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** "1.13.0a0" -> "1.13": enough to tell the PyTorch columns apart. */
const shortVersion = (v: string) => v.split('.').slice(0, 2).join('.');

/** Training GFLOP/s at the largest batch, and its share of the fp32 peak of the threads used. */
function flopsLine(label: string, train: { batch: number; imagesPerSecond: number }[], flopsPerImage: number, threads: number, peak: PeakInfo): string {
  const largest = train.reduce((a, b) => (b.batch > a.batch ? b : a));
  const gflops = (largest.imagesPerSecond * flopsPerImage) / 1e9;
  return `${label} training, batch ${largest.batch}: ${(flopsPerImage / 1e6).toFixed(0)} MFLOP/image, ${gflops.toFixed(1)} GFLOP/s = ${((100 * gflops) / (peak.gflopsPerCore * threads)).toFixed(0)}% of the fp32 peak of ${threads} core(s)`;
}

/**
 * The table `npm run bench` prints: images/s per engine and model, peak memory, the ratio to each PyTorch timed,
 * then each row's GFLOP/s as a share of the fp32 peak.
 */
export function benchTable(report: BenchReport): string {
  const batches = [...new Set([...report.ours.flatMap((r) => r.train.map((t) => t.batch)), ...report.torch.flatMap((t) => t.results.flatMap((r) => r.train.map((x) => x.batch)))])].sort((a, b) => a - b);
  const inferBatch = report.ours[0]?.infer.batch ?? report.torch[0]?.results[0]?.infer.batch ?? 0;
  const ratioHeads = report.torch.flatMap((t) => [...batches.map((b) => `/${shortVersion(t.torch)} ${b}`), `/${shortVersion(t.torch)} infer`, `/${shortVersion(t.torch)} train MiB`]);
  const header = ['engine', 'model', ...batches.map((b) => `train ${b}`), `infer ${inferBatch}`, 'train MiB', 'peak MiB', ...ratioHeads];
  const rows: string[][] = [header];
  const flops = new Map(report.ours.map((r) => [r.model, r.trainingFlopsPerImage]));
  for (const r of report.ours) {
    const train = (b: number) => r.train.find((x) => x.batch === b)?.imagesPerSecond;
    const ratios = report.torch.flatMap((t) => {
      const run = t.results.find((x) => x.model === r.model);
      return [...batches.map((b) => ratio(train(b), run?.train.find((x) => x.batch === b)?.imagesPerSecond)), ratio(r.infer.imagesPerSecond, run?.infer.imagesPerSecond), ratio(r.trainPeakRssMiB, run?.trainPeakRssMiB)];
    });
    rows.push([r.threads === null ? r.backend : `${r.backend} x${r.threads}`, r.model, ...batches.map((b) => fmt(train(b))), fmt(r.infer.imagesPerSecond), fmt(r.trainPeakRssMiB), fmt(r.peakRssMiB), ...ratios]);
  }
  for (const t of report.torch) {
    for (const run of t.results) {
      rows.push([`torch ${t.torch} x${t.threads}`, run.model, ...batches.map((b) => fmt(run.train.find((x) => x.batch === b)?.imagesPerSecond)), fmt(run.infer.imagesPerSecond), fmt(run.trainPeakRssMiB), fmt(run.peakRssMiB), ...ratioHeads.map(() => '')]);
    }
  }
  const rounds = report.rounds.length > 1 ? `, median of ${report.rounds.length} rounds` : '';
  const lines = [`images/s (median step${rounds}), ${report.cores} cores, load average ${report.loadAverage.map((l) => l.toFixed(2)).join(' ')}`, pad(rows)];
  lines.push(`fp32 peak: ${report.peak.gflopsPerCore.toFixed(1)} GFLOP/s per core (${report.peak.how})`);
  for (const r of report.ours) lines.push(flopsLine(`${r.model} on ${r.backend}`, r.train, r.trainingFlopsPerImage, r.threads ?? 1, report.peak));
  for (const t of report.torch) {
    for (const run of t.results) {
      const perImage = flops.get(run.model);
      if (perImage !== undefined) lines.push(flopsLine(`${run.model} in PyTorch ${t.torch}`, run.train, perImage, t.threads, report.peak));
    }
  }
  for (const r of report.ours) {
    const leaks = r.train.filter((t) => new Set(t.tensors).size !== 1);
    lines.push(`${r.model} on ${r.backend}: tensors after every timed step ${leaks.length === 0 ? 'constant (no leak)' : 'GROWING: ' + JSON.stringify(leaks.map((t) => t.tensors))}`);
  }
  for (const f of report.failures) lines.push(`${f.backend} ${f.model} failed: ${f.error}`);
  for (const n of report.notes) lines.push(n);
  return lines.join('\n');
}
