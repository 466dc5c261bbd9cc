import { Command, Option } from 'commander';

import { predictRun } from '../../ensemble/predictRun.js';
import { readRunRecord, runTask } from '../../run/runRecord.js';
import { argmaxRow } from '../../metrics/probabilities.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { addSwagDrawOptions, swagDraws, type SwagDrawFlags } from '../swagDrawOption.js';
import type { CombineRule } from '../../schema/metrics.js';
import { COMBINE_RULES } from '../../schema/metrics.js';

interface PredictFlags extends BackendFlags, SwagDrawFlags {
  last?: number;
  combine: CombineRule;
  json: boolean;
}

export function predictCommand(): Command {
  return addBackendOptions(addSwagDrawOptions(new Command('predict')
    .description("the ensemble's class probabilities (or, for regression, its prediction and uncertainty) for images in IDX, PNG, JPEG, WebP or GIF files, or rows of CSV files: one line per input")
    .argument('<run-dir>', 'a directory written by train')
    .argument('<files...>', 'IDX or image files, or CSV files (runs trained on a table)')
    .option('--last <m>', 'use only the last m snapshots', integer(1))
    .addOption(new Option('--combine <rule>', 'how members are combined').choices(COMBINE_RULES).default('mean'))
    .option('--json', 'one JSON object per line', false)))
    .action(async (runDir: string, files: string[], flags: PredictFlags) => {
      const csv = files.every((f) => /\.csv$/i.test(f));
      const backend = await startBackend(flags);
      const regression = runTask(readRunRecord(runDir)) === 'regression';
      const prediction = await predictRun(runDir, files, {
        ...(regression && flags.combine === 'mean' ? {} : { combine: flags.combine }),
        ...(flags.last === undefined ? {} : { last: flags.last }),
        ...swagDraws(flags),
      });
      if (prediction.task === 'regression') {
        const r = prediction;
        process.stderr.write(backend.line + '\n');
        const rows = r.names.map((name, i) =>
          flags.json
            ? JSON.stringify({ input: name, [r.target]: r.mean[i], std: r.std[i], spread: r.spread[i] })
            : [csvCell(name), r.mean[i]!.toPrecision(6), r.std[i]!.toPrecision(6), r.spread[i]!.toPrecision(6)].join(','),
        );
        process.stdout.write((flags.json ? '' : ['input', csvCell(r.target), 'std', 'spread'].join(',') + '\n') + rows.join('\n') + '\n');
        return;
      }
      process.stderr.write(backend.line + '\n');
      const { probabilities: p, names, classNames } = prediction;
      // A table's rows come out as CSV (one row per input row); images as tab-separated lines.
      const lines: string[] = csv && !flags.json ? [['input', 'class', 'label', ...classNames.map(csvCell)].join(',')] : [];
      for (let i = 0; i < p.numExamples; i++) {
        const row = Array.from(p.data.subarray(i * p.numClasses, (i + 1) * p.numClasses));
        const predicted = argmaxRow(p, i);
        lines.push(
          flags.json
            ? JSON.stringify({ [csv ? 'input' : 'image']: names[i], class: predicted, label: classNames[predicted], probabilities: row })
            : csv
              ? [csvCell(names[i]!), predicted, csvCell(classNames[predicted]!), ...row.map((v) => v.toFixed(6))].join(',')
              : [names[i], predicted, classNames[predicted], row.map((v) => v.toFixed(6)).join(' ')].join('\t'),
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
