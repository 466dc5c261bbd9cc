import type { EnsembleTiming } from './ensembleJob.js';
import { median } from './report.js';

/** Per engine and model, the median over rounds of each batch's images/s (the first round's step times kept). */
export function medianEnsembles(rounds: EnsembleTiming[][]): EnsembleTiming[] {
  const all = rounds.flat();
  const first = rounds[0] ?? [];
  return first.map((e) => {
    const same = all.filter((o) => o.engine === e.engine && o.model === e.model);
    return { ...e, infer: e.infer.map((t) => ({ ...t, imagesPerSecond: median(same.map((o) => o.infer.find((x) => x.batch === t.batch)!.imagesPerSecond)) })) };
  });
}

const isOnnx = (e: EnsembleTiming) => e.engine.startsWith('onnxruntime');

/**
 * The ensemble's inference per engine and model: images/s at each batch, milliseconds per call at batch 1 (the
 * latency), and each of our engines against ONNX Runtime on the same model (> 1x: ours is faster).
 */
export function ensembleTable(ensembles: readonly EnsembleTiming[]): string {
  const batches = [...new Set(ensembles.flatMap((e) => e.infer.map((t) => t.batch)))].sort((a, b) => b - a);
  const at = (e: EnsembleTiming | undefined, batch: number) => e?.infer.find((t) => t.batch === batch)?.imagesPerSecond;
  const cellsOf = (e: EnsembleTiming) => batches.map((b) => (b === 1 ? `${(1000 / at(e, 1)!).toFixed(2)} ms` : at(e, b)!.toFixed(0)));
  const header = ['engine', 'model', ...batches.map((b) => (b === 1 ? 'batch 1 latency' : `batch ${b} images/s`)), ...batches.map((b) => `/ORT ${b}`)];
  const rows = ensembles.map((e) => {
    const ort = ensembles.find((o) => isOnnx(o) && o.model === e.model);
    const ratios = batches.map((b) => (isOnnx(e) || ort === undefined ? '' : `${(at(e, b)! / at(ort, b)!).toFixed(2)}x`));
    return [`${e.engine}${e.threads === null ? '' : ` x${e.threads}`}`, e.model, ...cellsOf(e), ...ratios];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const members = ensembles[0]?.members ?? 0;
  return [`ensemble of ${members} at inference (ours: ${members} folded passes and the mean of their softmax outputs; ONNX Runtime: the exported graph on the CPU, same threads and batch)`, line(header), ...rows.map(line)].join('\n');
}
