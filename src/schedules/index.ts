export type { Schedule } from './types.js';
export { snapshotCosine, snapshotCycleLength, snapshotCycleEnds, type SnapshotCosineConfig } from './snapshotCosine.js';
export { sgdr, sgdrCycleEnds, type SgdrConfig } from './sgdr.js';
export { cyclic, type CyclicConfig, type CyclicMode } from './cyclic.js';
export { stepDecay, baselineMilestones, type StepDecayConfig } from './stepDecay.js';
export { constant, joinSchedules } from './constant.js';
export { swaSchedule, swaStartEpoch, type SwaScheduleConfig } from './swa.js';
export { fgeCycle, fgeSchedule, fgeCollectionOffset, fgeCollectionPoints, type FgeCycleConfig, type FgeScheduleConfig } from './fge.js';
export { scheduleFromConfig, type ScheduleConfig } from './fromConfig.js';
