import type { StepProgress } from '../util/reporter.js';
import { formatSeconds } from './format.js';

/** The bar's width bounds, in characters between its brackets. */
export const MIN_BAR = 10;
export const MAX_BAR = 40;

/** The running accuracy as a percentage, or '-' where there is none (a regression run). */
function accuracyText(accuracy: number): string {
  return Number.isFinite(accuracy) ? `${(100 * accuracy).toFixed(1)}%` : '-';
}

/** The fields of a progress line, most important first: the narrower the terminal, the more of the last are left out. */
function fields(p: StepProgress): { name: string; text: string }[] {
  return [
    { name: 'epoch', text: `epoch ${p.epoch}/${p.epochs}` },
    { name: 'iteration', text: `${p.iteration}/${p.totalSteps}` },
    { name: 'left', text: `left ${formatSeconds(p.secondsLeft)}` },
    { name: 'loss', text: `loss ${p.loss.toFixed(4)}` },
    { name: 'cycle', text: `cycle ${p.cycle}/${p.cycles}` },
    { name: 'lr', text: `lr ${p.learningRate.toExponential(2)}` },
    { name: 'acc', text: `acc ${accuracyText(p.accuracy)}` },
    { name: 'ips', text: `${p.imagesPerSecond.toFixed(0)} img/s` },
  ];
}

/** The order the fields are shown in, whichever of them fit. */
const ORDER = ['epoch', 'cycle', 'bar', 'iteration', 'lr', 'loss', 'acc', 'ips', 'left'];

function bar(fraction: number, width: number): string {
  const done = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'\u2588'.repeat(done)}${'\u2591'.repeat(width - done)}]`;
}

/**
 * The live progress line for a terminal `columns` wide: epoch, cycle, a bar, iteration, learning rate, running loss
 * and accuracy, images/s and time left, in at most columns - 1 characters (the last column would wrap). The bar takes
 * the room left (10 to 40 characters); where even the shortest bar does not fit, the least important fields go first.
 */
export function progressLine(p: StepProgress, columns: number): string {
  const room = Math.max(1, columns - 1);
  const all = fields(p);
  for (let kept = all.length; kept >= 1; kept--) {
    const shown = all.slice(0, kept);
    const textWidth = shown.reduce((n, f) => n + f.text.length + 1, 0); // each with the space after it
    const barWidth = Math.min(MAX_BAR, room - textWidth - 2); // the brackets
    if (barWidth >= MIN_BAR || kept === 1) {
      const parts = new Map(shown.map((f) => [f.name, f.text]));
      if (barWidth >= MIN_BAR) parts.set('bar', bar(p.iteration / p.totalSteps, barWidth));
      return ORDER.filter((name) => parts.has(name)).map((name) => parts.get(name)!).join(' ').slice(0, room);
    }
  }
  return '';
}

/** The line printed at a steady interval where there is no terminal (a log file, CI): every field, no bar. */
export function progressLogLine(p: StepProgress): string {
  return (
    `iteration ${p.iteration}/${p.totalSteps} (${((100 * p.iteration) / p.totalSteps).toFixed(1)}%), epoch ${p.epoch}/${p.epochs}, ` +
    `cycle ${p.cycle}/${p.cycles}, lr ${p.learningRate.toExponential(2)}, loss ${p.loss.toFixed(4)}, acc ${accuracyText(p.accuracy)}, ` +
    `${p.imagesPerSecond.toFixed(0)} img/s, ${formatSeconds(p.secondsLeft)} left`
  );
}
