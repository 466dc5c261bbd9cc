import { Command, Option } from 'commander';
import { EXPORT_COMBINE_RULES, type ExportCombine } from '../../deploy/ensembleModel.js';
import { exportRun, type ExportMeasurement, type ExportResult, type ModelCost } from '../../deploy/exportRun.js';

import { QUANTIZATIONS, type Quantization } from '../../deploy/quantize.js';
import { ONNX_LAYOUTS, type OnnxLayout } from '../../deploy/onnx/heads.js';
import { metricCells } from '../../metrics/formatMetrics.js';
import { UserError } from '../../util/errors.js';
import { textTable } from '../../util/tables.js';
import { formatBytes } from '../format.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { exportOnnx, onnxExportSummary } from './exportOnnx.js';
import type { Metrics, RegressionMetrics } from '../../schema/metrics.js';

/** What `export` writes: a TF.js layers model (model.json + weights.bin), or one ONNX file. */
export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;

interface ExportFlags extends BackendFlags {
  last?: number;
  combine: ExportCombine;
  out?: string;
  quantize?: Quantization;
  data?: string;
  format: (typeof EXPORT_FORMATS)[number];
  layout?: OnnxLayout;
  json: boolean;
}

export { formatBytes };

const isRegression = (m: ModelCost['metrics']): m is RegressionMetrics => 'rmse' in m;

/** A model's metrics as cells under ['error', 'NLL', 'ECE', 'Brier'] or ['RMSE', 'MAE', 'NLL']. */
function cells(m: ModelCost['metrics']): string[] {
  return isRegression(m) ? [m.rmse.toPrecision(4), m.mae.toPrecision(4), m.nll.toFixed(4)] : metricCells(m);
}

/** The exported model against the m-pass ensemble on the test set. */
function measurementLines(r: ExportResult, measured: ExportMeasurement): string[] {
  const meta = r.metadata;
  const regression = meta.task === 'regression';
  const table = textTable(
    ['model', ...(regression ? ['RMSE', 'MAE', 'NLL'] : ['error', 'NLL', 'ECE', 'Brier']), 'examples/s'],
    [
      [`ensemble of ${meta.members.length} (${meta.combine}, ${meta.members.length} passes)`, ...cells(measured.ensemble.metrics), measured.ensemble.imagesPerSecond.toFixed(0)],
      [`exported model (${meta.quantization ?? 'float32'})`, ...cells(measured.exported.metrics), measured.exported.imagesPerSecond.toFixed(0)],
    ],
  );
  const d = (a: number, b: number, scale: number, digits: number) => `${a - b >= 0 ? '+' : ''}${(scale * (a - b)).toFixed(digits)}`;
  const [e, x] = [measured.ensemble.metrics, measured.exported.metrics];
  const change =
    isRegression(e) && isRegression(x)
      ? `RMSE ${d(x.rmse, e.rmse, 1, 4)}, NLL ${d(x.nll, e.nll, 1, 4)}; largest difference in an output ${measured.maxAbsDifference.toExponential(2)}`
      : `test error ${d((x as Metrics).error, (e as Metrics).error, 100, 2)} points, NLL ${d(x.nll, e.nll, 1, 4)}; largest difference in a probability ${measured.maxAbsDifference.toExponential(2)}`;
  return [`on ${measured.testExamples} test examples (the ensemble's time includes loading its snapshots):`, table, `change from the ensemble: ${change}`];
}

/** What `export` prints: where the files went, their size, and the exported model against the m-pass ensemble. */
export function exportSummary(r: ExportResult): string {
  const { metadata: meta, bytes } = r;
  const members = meta.members.length === 1 ? `snapshot ${meta.members[0]}` : `snapshots ${meta.members.join(', ')}`;
  const quantized = meta.quantization === null ? 'float32' : `${meta.quantization} (float32: ${formatBytes(bytes.float32Weights)})`;
  const input = meta.pixelRange === null ? `raw feature values, ${meta.inputShape.join('x')}` : `raw pixels in [${meta.pixelRange.join(', ')}], ${meta.inputShape.join('x')}`;
  const output = meta.task === 'regression' ? `[mean, variance] of ${meta.classNames[0]}` : 'class probabilities';
  return [
    `exported the ensemble of ${members} (${meta.combine}) to ${r.outDir}`,
    `input: ${input}; output: ${output}; ${(r.flopsPerImage / 1e6).toFixed(2)} MFLOPs per example`,
    `files: model.json ${formatBytes(bytes.modelJson)}, weights.bin ${formatBytes(bytes.weights)} ${quantized}`,
    ...(r.measured === null
      ? ["not measured: the run's examples were given in memory; give --data to compare the exported model with the ensemble"]
      : measurementLines(r, r.measured)),
  ].join('\n');
}

export function exportCommand(): Command {
  return addBackendOptions(new Command('export')
    .description('write the ensemble of the last m snapshots as one TF.js layers model that plain tf.loadLayersModel loads, or as one ONNX file')
    .argument('<run-dir>', 'a directory written by train')
    .option('--last <m>', 'use only the last m snapshots', integer(1))
    .addOption(new Option('--combine <rule>', "mean of the members' softmax outputs, or their geometric mean").choices(EXPORT_COMBINE_RULES).default('mean'))
    .addOption(new Option('--quantize <dtype>', "store the weights quantised (tfjs: TF.js's weight quantisation, undone by tf.loadLayersModel; onnx: DequantizeLinear or Cast nodes)").choices(QUANTIZATIONS))
    .addOption(new Option('--format <format>', 'tfjs: model.json + weights.bin; onnx: one .onnx file (opset 17) for ONNX Runtime').choices(EXPORT_FORMATS).default('tfjs'))
    .addOption(new Option('--layout <layout>', 'onnx, image runs: the input as N x H x W x C (as TF.js) or N x C x H x W').choices(ONNX_LAYOUTS))
    .option('--out <path>', 'tfjs: directory to create (default: RUN_DIR/exports/last<m>-<combine>[-<dtype>]); onnx: file to create (default: the same name + .onnx)')
    .option('--data <path>', "measure the export on this directory's (or CSV file's) test split (needed for that when the run's examples were given in memory)")
    .option('--json', 'print the result as JSON', false))
    .action(async (runDir: string, flags: ExportFlags) => {
      if (flags.layout !== undefined && flags.format !== 'onnx') throw new UserError('--layout applies to --format onnx');
      const backend = await startBackend(flags);
      if (flags.format === 'onnx') {
        const onnx = await exportOnnx(runDir, flags);
        process.stderr.write(backend.line + '\n');
        process.stdout.write((flags.json ? JSON.stringify(onnx, null, 2) : onnxExportSummary(onnx)) + '\n');
        return;
      }
      const result = await exportRun(runDir, {
        combine: flags.combine,
        quantize: flags.quantize ?? null,
        ...(flags.last === undefined ? {} : { last: flags.last }),
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        ...(flags.data === undefined ? {} : { dataDir: flags.data }),
      });
      process.stderr.write(backend.line + '\n');
      process.stdout.write((flags.json ? JSON.stringify(result, null, 2) : exportSummary(result)) + '\n');
    });
}
