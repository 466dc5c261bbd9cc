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
  const say = (message: string) => {
    if (started) bar.stop();
    started = false;
    stream.write(message + '\n');
  };
  return {
    step(p: StepProgress) {
      if (!interactive) return;
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        cycle: p.cycle,
        cycles: p.cycles,
        lr: p.learningRate.toExponential(2),
        loss: p.loss.toFixed(4),
        acc: `${(100 * p.accuracy).toFixed(1)}%`,
        ips: p.imagesPerSecond.toFixed(0),
        left: formatSeconds(p.secondsLeft),
      };
      if (!started) {
        bar.start(p.totalSteps, p.iteration, payload);
        started = true;
      } else bar.update(p.iteration, payload);
    },
    epoch(e: EpochSummary) {
      say(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, accuracy ${(100 * e.accuracy).toFixed(2)}%, ${formatSeconds(e.seconds)}`);
    },
    info: say,
    warn: (message) => say(`warning: ${message}`),
    stop() {
      if (started) bar.stop();
      started = false;
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
