import { constant } from './constant.js';
import { cyclic, type CyclicConfig } from './cyclic.js';
import { fgeSchedule, type FgeScheduleConfig } from './fge.js';
import { sgdr, type SgdrConfig } from './sgdr.js';
import { snapshotCosine, type SnapshotCosineConfig } from './snapshotCosine.js';
import { stepDecay, type StepDecayConfig } from './stepDecay.js';
import { swaSchedule, type SwaScheduleConfig } from './swa.js';
import type { Schedule } from './types.js';

/** A schedule described as plain JSON (as stored in run.json), from which scheduleFromConfig rebuilds it. */
export type ScheduleConfig =
  | ({ name: 'snapshotCosine' } & SnapshotCosineConfig)
  | ({ name: 'sgdr' } & SgdrConfig)
  | ({ name: 'cyclic' } & CyclicConfig)
  | ({ name: 'stepDecay' } & StepDecayConfig)
  | ({ name: 'swa' } & SwaScheduleConfig)
  | ({ name: 'fge' } & FgeScheduleConfig)
  | { name: 'constant'; lr: number };

export function scheduleFromConfig(config: ScheduleConfig): Schedule {
  switch (config.name) {
    case 'snapshotCosine':
      return snapshotCosine(config);
    case 'sgdr':
      return sgdr(config);
    case 'cyclic':
      return cyclic(config);
    case 'stepDecay':
      return stepDecay(config);
    case 'swa':
      return swaSchedule(config);
    case 'fge':
      return fgeSchedule(config);
    case 'constant':
      return constant(config.lr);
  }
}
