import { describe, expect, it } from 'vitest';
import { MAX_BAR, progressLine, progressLogLine } from '../src/cli/progressLine.js';
import { progressReporter } from '../src/cli/progressReporter.js';
import type { StepProgress } from '../src/util/reporter.js';

const step = (iteration: number): StepProgress => ({
  iteration,
  totalSteps: 1876,
  epoch: iteration > 938 ? 2 : 1,
  epochs: 2,
  cycle: iteration > 938 ? 2 : 1,
  cycles: 2,
  learningRate: 0.0987,
  loss: 0.61234,
  accuracy: 0.7712,
  imagesPerSecond: 174.4,
  secondsLeft: 612,
});

/** A stream that keeps what is written to it. */
function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => (writes.push(s), true), on: () => stream, once: () => stream, removeListener: () => stream };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

describe('the progress bar uses the terminal width', () => {
  it('fills a wide terminal with every field and a bar of up to 40 characters', () => {
    const line = progressLine(step(469), 200);
    expect(line).toBe(`epoch 1/2 cycle 1/2 [${'\u2588'.repeat(10)}${'\u2591'.repeat(30)}] 469/1876 lr 9.87e-2 loss 0.6123 acc 77.1% 174 img/s left 10m12s`);
    expect(line.match(/\[(.*)\]/)![1]).toHaveLength(MAX_BAR);
  });

  it('fits every width, shrinking the bar first, then leaving out the least important fields', () => {
    for (const columns of [40, 60, 80, 100, 120]) expect(progressLine(step(469), columns).length).toBeLessThanOrEqual(columns - 1);
    const at100 = progressLine(step(469), 100);
    expect(at100).toContain('img/s');
    expect(at100).toHaveLength(99);
    const at60 = progressLine(step(469), 60);
    expect(at60).toMatch(/^epoch 1\/2 \[.{10,}\] 469\/1876 loss 0\.6123 left 10m12s$/);
    expect(progressLine(step(469), 20)).toBe('epoch 1/2');
  });

  it("draws it from the stream's columns on a terminal", () => {
    const { stream, writes } = fakeStream(true, 70);
    const reporter = progressReporter(stream);
    reporter.step!(step(469));
    reporter.stop();
    const drawn = writes.join('').replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '').split(/[\r\n]/).filter((l) => l.includes('epoch'));
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line).toBe(progressLine(step(469), 70));
  });
});

describe('progress without a terminal', () => {
  it('prints a progress line at a steady interval (15 s), besides the per-epoch lines', () => {
    const { stream, writes } = fakeStream(false);
    let clock = 0;
    const reporter = progressReporter(stream, { now: () => clock });
    // an iteration every 2 s: lines after 16 s and 32 s, none in between
    for (let t = 1; t <= 17; t++) {
      clock = (t - 1) * 2000;
      reporter.step!(step(t));
    }
    expect(writes).toEqual([progressLogLine(step(9)) + '\n', progressLogLine(step(17)) + '\n']);
    expect(writes[0]).toBe('iteration 9/1876 (0.5%), epoch 1/2, cycle 1/2, lr 9.87e-2, loss 0.6123, acc 77.1%, 174 img/s, 10m12s left\n');
    reporter.epoch!({ epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 300, iteration: 938 });
    expect(writes.at(-1)).toBe('epoch 1: loss 0.5000, accuracy 80.00%, 5m00s\n');
  });
});
