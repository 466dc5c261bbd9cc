import { Command } from 'commander';
import { writeLandscape } from '../../landscape/landscapeFile.js';
import { measureLandscape } from '../../landscape/measure.js';
import { readRunRecord } from '../../run/runRecord.js';
import { runDatasetAt } from '../../run/runData.js';
import { UserError } from '../../util/errors.js';
import { formatSeconds } from '../format.js';
import { integer } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { progressReporter, withPreamble } from '../progressReporter.js';

interface LandscapeFlags extends BackendFlags {
  points: number;
  grid: number;
  plane?: string;
  trainSize?: number;
  testSize?: number;
  data?: string;
  json: boolean;
}

function planeSnapshots(value: string): [number, number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 1)) {
    throw new UserError(`--plane: expected three snapshot numbers such as 1,2,3, got '${value}'`);
  }
  return parts as [number, number, number];
}

export function landscapeCommand(): Command {
  return addBackendOptions(new Command('landscape')
    .description(
      "the paper's Figure 1 measured: training loss and test error along the line between every two consecutive snapshots " +
        'and over the plane through three, batch norm re-estimated at every point; writes RUN_DIR/landscape.json, which `report` draws',
    )
    .argument('<run-dir>', 'a directory written by train, with at least 2 snapshots')
    .option('--points <n>', 'points per segment, both ends included', integer(2), 11)
    .option('--grid <n>', 'points a side of the plane through three snapshots (0: no plane)', integer(0), 11)
    .option('--plane <a,b,c>', 'snapshot numbers of the plane (default the last three)')
    .option('--train-size <n>', 'use the first N training images for batch norm and the training loss (default all of the run\u2019s)', integer(1))
    .option('--test-size <n>', 'use the first N test images', integer(1))
    .option('--data <path>', "the run's examples read from here (needed when they were given in memory): an IDX directory, an image folder or a CSV file")
    .option('--json', 'print landscape.json on stdout', false))
    .action(async (runDir: string, flags: LandscapeFlags) => {
      const plane = flags.plane === undefined ? undefined : planeSnapshots(flags.plane);
      const backend = await startBackend(flags);
      const reporter = withPreamble(progressReporter(), backend.line);
      try {
        const dataset = flags.data === undefined ? undefined : await runDatasetAt(readRunRecord(runDir), flags.data, { reporter });
        const result = await measureLandscape(runDir, {
          ...(dataset === undefined ? {} : { dataset }),
          points: flags.points,
          grid: flags.grid,
          reporter,
          ...(plane === undefined ? {} : { planeSnapshots: plane }),
          ...(flags.trainSize === undefined ? {} : { trainImages: flags.trainSize }),
          ...(flags.testSize === undefined ? {} : { testImages: flags.testSize }),
        });
        const file = writeLandscape(runDir, result);
        reporter.stop();
        if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          const lines = result.segments.map(
            (s) => `snapshots ${s.from} -> ${s.to}: training-loss barrier ${s.lossBarrier.toFixed(4)}, test-error barrier ${(100 * s.errorBarrier).toFixed(2)}%`,
          );
          process.stdout.write(lines.join('\n') + '\n');
        }
        process.stderr.write(`${result.evaluations} weight sets evaluated in ${formatSeconds(result.seconds)}; written to ${file} (run \`report ${runDir}\` to draw it)\n`);
      } finally {
        reporter.stop();
      }
    });
}
