import { Command } from 'commander';
import { checkReportPath, writeRunReport } from '../../report/runReport.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';

interface ReportFlags extends BackendFlags {
  out?: string;
  data?: string;
  testSize?: number;
}

export function reportCommand(): Command {
  return addBackendOptions(new Command('report')
    .description('write a self-contained HTML report of a run: learning rate and loss, error against m, diversity, calibration, metrics')
    .argument('<run-dir>', 'a directory written by train')
    .option('--out <file.html>', 'where to write the report (default: RUN_DIR/report.html)')
    .option('--data <dir>', "evaluate on this directory's test split instead of the run's")
    .option('--test-size <n>', 'use only the first N test examples', integer(1)))
    .action(async (runDir: string, flags: ReportFlags) => {
      if (flags.out !== undefined) checkReportPath(flags.out);
      const backend = await startBackend(flags);
      const written = await writeRunReport(runDir, {
        ...(flags.out === undefined ? {} : { out: flags.out }),
        ...(flags.data === undefined ? {} : { dataDir: flags.data }),
        ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
      });
      process.stderr.write(backend.line + '\n');
      for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`report with ${written.charts.length} charts written to ${written.file}\n`);
    });
}
