import cliProgress from 'cli-progress';
import type { QueuedRun } from '../queue/coordinator.js';
import type { Reporter } from '../util/reporter.js';

function where(r: QueuedRun): string {
  const at = r.totalSteps > 0 ? ` ${r.iteration}/${r.totalSteps}` : '';
  return `${r.id} on ${r.worker ?? '?'}${at}`;
}

function counts(runs: readonly QueuedRun[]) {
  const n = (s: QueuedRun['state']) => runs.filter((r) => r.state === s).length;
  return { done: n('done'), running: n('running'), queued: n('queued'), failed: n('failed') };
}

/**
 * The progress of a queued comparison over its runs: done, running (on which worker, at which iteration), queued
 * and failed. On a terminal a bar redrawn in place; otherwise one line each time a run changes state or worker
 * (never for iterations alone, so that a log stays short). Messages go through it so they do not tear the bar.
 */
export function queueProgressView(stream: NodeJS.WriteStream = process.stderr): Reporter & { update(runs: readonly QueuedRun[]): void; stop(): void } {
  const interactive = stream.isTTY === true;
  const bar = new cliProgress.SingleBar(
    { stream, format: 'runs [{bar}] {value}/{total} done, {running} running, {queued} queued, {failed} failed  {where}', barsize: 20, hideCursor: true, fps: 2 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let lastLine = '';
  const say = (message: string) => {
    if (started) bar.stop();
    started = false;
    stream.write(message + '\n');
  };
  return {
    update(runs) {
      const c = counts(runs);
      const running = runs.filter((r) => r.state === 'running');
      if (interactive) {
        const payload = { ...c, where: running.map(where).join('; ') };
        if (!started) bar.start(runs.length, c.done, payload);
        else bar.update(c.done, payload);
        started = true;
        return;
      }
      const line =
        `runs: ${c.done}/${runs.length} done, ${c.running} running` +
        (running.length > 0 ? ` (${running.map((r) => `${r.id} on ${r.worker ?? '?'}`).join(', ')})` : '') +
        `, ${c.queued} queued, ${c.failed} failed`;
      if (line !== lastLine) stream.write(line + '\n');
      lastLine = line;
    },
    info: say,
    warn: (message) => say(`warning: ${message}`),
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
