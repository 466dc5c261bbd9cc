import cliProgress from 'cli-progress';
import type { Reporter, StepProgress } from '../util/reporter.js';
import { formatSeconds } from './format.js';
import { progressLine, progressLogLine } from './progressLine.js';
import type { EpochSummary } from '../schema/training.js';

/** Seconds between progress lines where there is no terminal (within the 10 to 30 s a reader of a log expects). */
export const LOG_PROGRESS_SECONDS = 15;

export interface ProgressReporterOptions {
  /** Seconds between progress lines without a terminal (default LOG_PROGRESS_SECONDS). */
  logEverySeconds?: number;
  /** The clock, in milliseconds (tests pass their own). */
  now?: () => number;
}

/**
 * A live progress bar on a terminal, as wide as the terminal (epoch, cycle, iteration, learning rate, running loss
 * and accuracy, images/s, time left), and one line per epoch; without a terminal (CI, a log file, nohup) the same
 * numbers as a line every `logEverySeconds`, and the per-epoch lines.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, options: ProgressReporterOptions = {}): Reporter & { stop(): void } {
  const interactive = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const every = 1000 * (options.logEverySeconds ?? LOG_PROGRESS_SECONDS);
  const bar = new cliProgress.SingleBar({
    stream,
    // cli-progress hands the formatter the terminal's width as it is now (params.maxWidth, from stream.columns)
    format: (_options, params, payload: { progress: StepProgress }) => progressLine(payload.progress, params.maxWidth),
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  let started = false;
  let lastLog: number | null = null;
  // A second bar for work before training (decoding an image folder): {label} [bar] done/total.
  const work = new cliProgress.SingleBar(
    { stream, format: '{label} [{bar}] {value}/{total}', barsize: 20, hideCursor: true, clearOnComplete: true, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  let working: string | null = null;
  const stopWork = () => {
    if (working !== null) work.stop();
    working = null;
  };
  const say = (message: string) => {
    if (started) bar.stop();
    started = false;
    stopWork();
    stream.write(message + '\n');
  };
  return {
    progress({ label, done, total }) {
      if (!interactive) return;
      if (working !== label) {
        stopWork();
        work.start(total, done, { label });
        working = label;
      } else work.update(done, { label });
      if (done >= total) stopWork();
    },
    step(p: StepProgress) {
      if (!interactive) {
        const t = now();
        lastLog ??= t;
        if (t - lastLog >= every) {
          lastLog = t;
          stream.write(progressLogLine(p) + '\n');
        }
        return;
      }
      stopWork();
      if (!started) {
        bar.start(p.totalSteps, p.iteration, { progress: p });
        started = true;
      } else bar.update(p.iteration, { progress: p });
    },
    epoch(e: EpochSummary) {
      const accuracy = Number.isFinite(e.accuracy) ? `, accuracy ${(100 * e.accuracy).toFixed(2)}%` : '';
      say(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}${accuracy}, ${formatSeconds(e.seconds)}`);
    },
    info: say,
    warn: (message) => say(`warning: ${message}`),
    stop() {
      if (started) bar.stop();
      started = false;
      stopWork();
    },
  };
}

/** The same reporter, with `line` said just before its first info or warning message. */
export function withPreamble<R extends Reporter>(reporter: R, line: string): R {
  let said = false;
  const info = reporter.info?.bind(reporter);
  const warn = reporter.warn?.bind(reporter);
  const preamble = () => {
    if (!said) info?.(line);
    said = true;
  };
  return Object.assign(reporter, {
    info(message: string) {
      preamble();
      info?.(message);
    },
    warn(message: string) {
      preamble();
      warn?.(message);
    },
  });
}
