import { Command } from 'commander';
import { isCompareDirectory } from '../../compare/readResult.js';
import { writeCompareReport } from '../../report/compareReport.js';
import { checkReportPath, writeRunReport } from '../../report/runReport.js';
import { UserError } from '../../util/errors.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { addSwagDrawOptions, swagDraws, type SwagDrawFlags } from '../swagDrawOption.js';

interface ReportFlags extends BackendFlags, SwagDrawFlags {
  out?: string;
  data?: string;
  testSize?: number;
}

export function reportCommand(): Command {
  return addBackendOptions(addSwagDrawOptions(new Command('report')
    .description('write a self-contained HTML report of a run (learning rate and loss, error against m, diversity, calibration, metrics) or of a comparison (Table 1, each row\'s error against m, learning rates and losses, diversity)')
    .argument('<run-dir>', 'a directory written by train, or by compare')
    .option('--out <file.html>', 'where to write the report (default: RUN_DIR/report.html)')
    .option('--data <dir>', "evaluate on this directory's test split instead of the run's")
    .option('--test-size <n>', 'use only the first N test examples', integer(1))))
    .action(async (runDir: string, flags: ReportFlags) => {
      if (flags.out !== undefined) checkReportPath(flags.out);
      if (isCompareDirectory(runDir)) {
        // every number is in compare.json: no backend, no test set
        if (flags.data !== undefined || flags.testSize !== undefined) {
          throw new UserError(`${runDir} holds a comparison, whose report uses the test set it was run on: drop --data and --test-size`);
        }
        if (flags.swagSamples !== undefined || flags.swagSeed !== undefined) {
          throw new UserError(`${runDir} holds a comparison, whose SWAG rows were drawn when it ran: drop --swag-samples and --swag-seed`);
        }
        const written = await writeCompareReport(runDir, flags.out === undefined ? {} : { out: flags.out });
        for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(`report with ${written.charts.length} charts written to ${written.file}\n`);
        return;
      }
      const backend = await startBackend(flags);
      const written = await writeRunReport(runDir, {
        ...(flags.out === undefined ? {} : { out: flags.out }),
        ...(flags.data === undefined ? {} : { dataDir: flags.data }),
        ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
        ...swagDraws(flags),
      });
      process.stderr.write(backend.line + '\n');
      for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`report with ${written.charts.length} charts written to ${written.file}\n`);
    });
}
