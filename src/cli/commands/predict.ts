import { Command, Option } from 'commander';
import { COMBINE_RULES, type CombineRule } from '../../ensemble/combine.js';
import { predictRun } from '../../ensemble/predictRun.js';
import { argmaxRow } from '../../metrics/probabilities.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { addSwagDrawOptions, swagDraws, type SwagDrawFlags } from '../swagDrawOption.js';

interface PredictFlags extends BackendFlags, SwagDrawFlags {
  last?: number;
  combine: CombineRule;
  json: boolean;
}

export function predictCommand(): Command {
  return addBackendOptions(addSwagDrawOptions(new Command('predict')
    .description("class probabilities of the ensemble for images in IDX files (gzip or not) or PNG files, one line per image")
    .argument('<run-dir>', 'a directory written by train')
    .argument('<files...>', 'IDX or PNG files')
    .option('--last <m>', 'use only the last m snapshots', integer(1))
    .addOption(new Option('--combine <rule>', 'how members are combined').choices(COMBINE_RULES).default('mean'))
    .option('--json', 'one JSON object per line', false)))
    .action(async (runDir: string, files: string[], flags: PredictFlags) => {
      const backend = await startBackend(flags);
      const prediction = await predictRun(runDir, files, {
        combine: flags.combine,
        ...(flags.last === undefined ? {} : { last: flags.last }),
        ...swagDraws(flags),
      });
      process.stderr.write(backend.line + '\n');
      const { probabilities: p, names, classNames } = prediction;
      const lines: string[] = [];
      for (let i = 0; i < p.numExamples; i++) {
        const row = Array.from(p.data.subarray(i * p.numClasses, (i + 1) * p.numClasses));
        const predicted = argmaxRow(p, i);
        lines.push(
          flags.json
            ? JSON.stringify({ image: names[i], class: predicted, label: classNames[predicted], probabilities: row })
            : [names[i], predicted, classNames[predicted], row.map((v) => v.toFixed(6)).join(' ')].join('\t'),
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
