import cliProgress from 'cli-progress';
import type { EpochSummary, Reporter, StepProgress } from '../training/progress.js';
import { formatSeconds } from './format.js';

/**
 * A live progress bar on a terminal (epoch, cycle, iteration, learning rate, running loss and accuracy, images/s,
 * time left) and one line per epoch; without a terminal (CI logs) only the per-epoch lines.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): Reporter & { stop(): void } {
  const interactive = stream.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        'epoch {epoch}/{epochs} cycle {cycle}/{cycles} [{bar}] {value}/{total} lr {lr} loss {loss} acc {acc} {ips} img/s left {left}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
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
      if (!interactive) return;
      stopWork();
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        cycle: p.cycle,
        cycles: p.cycles,
        lr: p.learningRate.toExponential(2),
        loss: p.loss.toFixed(4),
        acc: Number.isFinite(p.accuracy) ? `${(100 * p.accuracy).toFixed(1)}%` : '-',
        ips: p.imagesPerSecond.toFixed(0),
        left: formatSeconds(p.secondsLeft),
      };
      if (!started) {
        bar.start(p.totalSteps, p.iteration, payload);
        started = true;
      } else bar.update(p.iteration, payload);
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
