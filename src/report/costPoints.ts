import path from 'node:path';
import type { ImageSet } from '../data/dataset.js';
import { exportDirs, loadExport } from '../deploy/inferenceCost.js';
import { paretoFront } from '../deploy/pareto.js';
import { predictPixels } from '../deploy/predictPixels.js';
import { classificationMetrics } from '../metrics/classification.js';
import { forwardFlopsPerImage } from '../models/flops.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import type { EnsembleEvaluation } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';
import type { CostChartPoint } from './chartTypes.js';

/**
 * The points of a run report's cost chart, without timing: every snapshot and last-m ensemble of `evaluation` at
 * m times the FLOPs of one snapshot, and every model exported under RUN_DIR/exports, run on the same test images.
 */
export async function reportCostPoints(
  runDir: string,
  record: RunRecord,
  test: ImageSet,
  evaluation: Pick<EnsembleEvaluation, 'members' | 'ensembles'>,
): Promise<CostChartPoint[]> {
  const first = await loadSnapshotModel(runDir, record.snapshots[0]!);
  const flops = forwardFlopsPerImage(first);
  first.dispose();
  const points: Omit<CostChartPoint, 'pareto'>[] = [
    ...evaluation.members.map((m) => ({ label: `snapshot ${m.index}`, kind: 'snapshot', error: m.error, flopsPerImage: flops })),
    ...evaluation.ensembles.filter((e) => e.m > 1).map((e) => ({ label: `last ${e.m}`, kind: 'ensemble (m passes)', error: e.error, flopsPerImage: e.m * flops })),
  ];
  for (const dir of exportDirs(runDir)) {
    const model = await loadExport(dir);
    try {
      const { probabilities } = predictPixels(model, test, record.data.numClasses);
      points.push({ label: path.basename(dir), kind: 'exported (1 pass)', error: classificationMetrics(probabilities, test.labels).error, flopsPerImage: forwardFlopsPerImage(model) });
    } finally {
      model.dispose();
    }
  }
  const front = paretoFront(points);
  return points.map((p, i) => ({ ...p, pareto: front[i]! }));
}
