import type { Command } from 'commander';

/**
 * The commands, each loaded only when it runs: `--version`, `--help` and a command's own start load nothing of the
 * others (TF.js, vega, BullMQ and sharp come with the commands that use them).
 */
export interface CommandEntry {
  name: string;
  /** One line for the program's --help (the command's own --help says the rest). */
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'train', summary: 'train one network with a cyclic schedule and save a snapshot at the end of every cycle', load: async () => (await import('./commands/train.js')).trainCommand() },
  { name: 'evaluate', summary: 'metrics of each snapshot and of the ensemble of the last m, for every m', load: async () => (await import('./commands/evaluate.js')).evaluateCommand() },
  { name: 'predict', summary: "the ensemble's predictions for image files, IDX files or CSV rows", load: async () => (await import('./commands/predict.js')).predictCommand() },
  { name: 'compare', summary: "the paper's Table 1 on your model and data: every method at the same budget", load: async () => (await import('./commands/compare.js')).compareCommand() },
  { name: 'report', summary: 'write the HTML report of a run or a comparison', load: async () => (await import('./commands/report.js')).reportCommand() },
  { name: 'landscape', summary: "the paper's Figure 1: loss and error between snapshots and over their plane", load: async () => (await import('./commands/landscape.js')).landscapeCommand() },
  { name: 'serve', summary: "serve a page that runs the run's snapshots in the browser", load: async () => (await import('./commands/serve.js')).serveCommand() },
  { name: 'sweep', summary: 'Snapshot Ensembles over a grid of schedules, budgets, cycles and lr0', load: async () => (await import('./commands/sweep.js')).sweepCommand() },
  { name: 'worker', summary: 'train the runs of queued comparisons (compare --queue)', load: async () => (await import('./commands/worker.js')).workerCommand() },
  { name: 'export', summary: 'the ensemble as one TF.js model or one ONNX file', load: async () => (await import('./commands/export.js')).exportCommand() },
  { name: 'distill', summary: "distil the ensemble into one student network", load: async () => (await import('./commands/distill.js')).distillCommand() },
];
