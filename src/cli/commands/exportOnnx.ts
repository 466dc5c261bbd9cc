import type { ExportCombine } from '../../deploy/ensembleModel.js';
import { exportOnnxRun, type OnnxExportResult, type OnnxQuantization } from '../../deploy/onnx/exportOnnxRun.js';
import type { OnnxLayout } from '../../deploy/onnx/heads.js';
import { metricCells } from '../../metrics/formatMetrics.js';
import { textTable } from '../../util/tables.js';
import { formatBytes } from '../format.js';

/** The flags of `export --format onnx`. */
export interface OnnxExportFlags {
  last?: number;
  combine: ExportCombine;
  out?: string;
  quantize?: OnnxQuantization;
  layout?: OnnxLayout;
  threads?: number;
  data?: string;
}

const signed = (v: number, scale: number, digits: number) => `${v >= 0 ? '+' : ''}${(scale * v).toFixed(digits)}`;

/** What `export --format onnx` prints: the file, its interface and size, and the file in ONNX Runtime against the m-pass ensemble. */
export function onnxExportSummary(r: OnnxExportResult): string {
  const meta = r.metadata;
  const members = meta.members.length === 1 ? `snapshot ${meta.members[0]}` : `snapshots ${meta.members.join(', ')}`;
  const input = meta.pixelRange === null ? 'raw feature values' : `raw pixels in [${meta.pixelRange.join(', ')}]`;
  const shape = (s: (number | string)[]) => `[${s.join(', ')}]`;
  const stored = meta.quantization === null ? 'float32 weights' : `${meta.quantization} weights (float32: ${formatBytes(r.weights.float32Bytes)})`;
  const lines = [
    `exported the ensemble of ${members} (${meta.task === 'classification' ? meta.combine : 'mean and spread'}) to ${r.file}`,
    `ONNX opset ${meta.opset}; input '${meta.input.name}' ${shape(meta.input.shape)}: ${input}${meta.pixelRange === null ? '' : `, ${meta.layout.toUpperCase()}`}; ` +
      `output${meta.outputs.length === 1 ? '' : 's'} ${meta.outputs.map((o) => `'${o.name}' ${shape(o.shape)}`).join(', ')}`,
    `file: ${formatBytes(r.bytes)}, ${r.nodes} nodes; ${formatBytes(r.weights.storedBytes)} of ${stored}`,
  ];
  const c = r.check;
  if (c === null) return [...lines, r.note ?? ''].join('\n');
  lines.push(`on ${r.testExamples} test examples, the file in ${c.runtime} against evaluate's ensemble:`);
  if (c.task === 'classification') {
    lines.push(
      textTable(
        ['model', 'error', 'NLL', 'ECE', 'Brier'],
        [
          [`ensemble of ${meta.members.length} (${meta.combine}, ${meta.members.length} passes)`, ...metricCells(c.ensemble)],
          [`ONNX file (${meta.quantization ?? 'float32'})`, ...metricCells(c.exported)],
        ],
      ),
      `change from the ensemble: test error ${signed(c.exported.error - c.ensemble.error, 100, 2)} points, NLL ${signed(c.exported.nll - c.ensemble.nll, 1, 4)}; ` +
        `largest difference in a probability ${c.maxAbsDifference.toExponential(2)}`,
    );
  } else {
    const row = (label: string, m: { rmse: number; mae: number; nll: number }) => [label, m.rmse.toPrecision(4), m.mae.toPrecision(4), m.nll.toFixed(4)];
    lines.push(
      textTable(['model', 'RMSE', 'MAE', 'NLL'], [row(`ensemble of ${meta.members.length}`, c.ensemble), row(`ONNX file (${meta.quantization ?? 'float32'})`, c.exported)]),
      `change from the ensemble: RMSE ${signed(c.exported.rmse - c.ensemble.rmse, 1, 4)}, NLL ${signed(c.exported.nll - c.ensemble.nll, 1, 4)}; ` +
        `largest difference in the mean or spread ${c.maxAbsDifference.toExponential(2)}`,
    );
  }
  return lines.join('\n');
}

/** Runs `export --format onnx` with the command's flags. */
export function exportOnnx(runDir: string, flags: OnnxExportFlags): Promise<OnnxExportResult> {
  return exportOnnxRun(runDir, {
    combine: flags.combine,
    quantize: flags.quantize ?? null,
    ...(flags.layout === undefined ? {} : { layout: flags.layout }),
    ...(flags.last === undefined ? {} : { last: flags.last }),
    ...(flags.out === undefined ? {} : { out: flags.out }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.data === undefined ? {} : { dataDir: flags.data }),
  });
}
