export { planSweep, sweepAsComparePlan, type SweepConfig, type SweepPoint } from './plan.js';
export { runSweep, writeSweepChart, sweepRunSettings, type SweepOptions } from './runSweep.js';
export { sweepText, sweepMarkdown, sweepCells } from './table.js';
export { sweepChart } from './chart.js';
export * from './result.js';
