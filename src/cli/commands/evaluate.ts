import { Command, Option } from 'commander';
import type { BackendChoice } from '../../backend/backends.js';

import { evaluateRun, unfinishedRunNote } from '../../ensemble/evaluateRun.js';
import { measureInferenceCost } from '../../deploy/inferenceCost.js';
import { PREDICT_BATCH_SIZE } from '../../models/predict.js';
import { readRunRecord, runTask } from '../../run/runRecord.js';
import { UserError } from '../../util/errors.js';
import { costTable, diversityTable, evaluationTable, regressionTable } from '../format.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { addSwagDrawOptions, swagDraws, type SwagDrawFlags } from '../swagDrawOption.js';
import type { CombineRule } from '../../schema/metrics.js';
import { COMBINE_RULES } from '../../schema/metrics.js';

/** ONNX Runtime's threads in --cost: those of the engine it is compared with (native's or wasm's). */
function engineThreads(choice: BackendChoice): { onnxThreads?: number } {
  const threads = choice.native?.threads ?? choice.wasm?.threads;
  return threads === undefined ? {} : { onnxThreads: threads };
}

interface EvaluateFlags extends BackendFlags, SwagDrawFlags {
  last?: number;
  combine: CombineRule;
  json: boolean;
  data?: string;
  testSize?: number;
  cost: boolean;
  student: string[];
}

export function evaluateCommand(): Command {
  return addBackendOptions(addSwagDrawOptions(new Command('evaluate')
    .description("metrics of each snapshot and of the ensemble of the last m snapshots, for every m")
    .argument('<run-dir>', 'a directory written by train')
    .option('--last <m>', 'use only the last m snapshots', integer(1))
    .addOption(new Option('--combine <rule>', 'how members are combined').choices(COMBINE_RULES).default('mean'))
    .option('--json', 'print JSON instead of a table', false)
    .option('--data <path>', "evaluate on this directory's (or CSV file's) test split instead of the run's")
    .option('--test-size <n>', 'use only the first N test examples', integer(1))
    .option('--cost', 'also measure the inference cost of every snapshot, ensemble, exported model and --student', false)
    .option('--student <dir>', 'a distilled student run to include in --cost (repeatable)', (v: string, all: string[]) => [...all, v], [])))
    .action(async (runDir: string, flags: EvaluateFlags) => {
      if (!flags.cost && flags.student.length > 0) throw new UserError('--student is measured with --cost; add --cost');
      const backend = await startBackend(flags);
      const record = readRunRecord(runDir);
      if (runTask(record) === 'regression' && flags.cost) throw new UserError('--cost measures classifiers; this is a regression run');
      const options = {
        ...(runTask(record) === 'regression' && flags.combine === 'mean' ? {} : { combine: flags.combine }),
        ...(flags.last === undefined ? {} : { last: flags.last }),
        ...(flags.data === undefined ? {} : { dataDir: flags.data }),
        ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
        ...swagDraws(flags),
      };
      const evaluation = await evaluateRun(runDir, options);
      const cost =
        flags.cost && evaluation.task === 'classification'
          ? await measureInferenceCost(runDir, {
              students: flags.student,
              ...(flags.data === undefined ? {} : { dataDir: flags.data }),
              ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
              ...engineThreads(backend.choice),
            })
          : null;
      process.stderr.write(backend.line + '\n');
      const unfinished = unfinishedRunNote(runDir, evaluation);
      if (unfinished !== null) process.stderr.write(`warning: ${unfinished}\n`);
      if (flags.json) process.stdout.write(JSON.stringify(cost === null ? evaluation : { ...evaluation, cost }, null, 2) + '\n');
      else if (evaluation.task === 'regression') process.stdout.write(`${runDir}: ${evaluation.testExamples} test rows\n${regressionTable(evaluation)}\n`);
      else {
        const diversity = diversityTable(evaluation);
        const heading = `${runDir}: ${evaluation.testExamples} test images` + (unfinished === null ? '' : `; unfinished run (${evaluation.status})`);
        const kind = record.swag == null ? 'snapshot' : 'sample';
        process.stdout.write(`${heading}\n${evaluationTable(evaluation, kind)}\n${diversity === '' ? '' : diversity + '\n'}`);
        if (cost !== null) process.stdout.write(`inference cost on ${cost.testExamples} test images (${backend.choice.backend}, batches of ${PREDICT_BATCH_SIZE}; * on the Pareto front of error against FLOPs)\n${costTable(cost)}\n${cost.notes.map((n) => `${n}\n`).join('')}`);
      }
    });
}
