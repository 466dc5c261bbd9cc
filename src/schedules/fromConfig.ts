import { constant } from './constant.js';
import { cyclic } from './cyclic.js';
import { fgeSchedule } from './fge.js';
import { sgdr } from './sgdr.js';
import { snapshotCosine } from './snapshotCosine.js';
import { stepDecay } from './stepDecay.js';
import { swaSchedule } from './swa.js';
import type { Schedule } from './types.js';
import type { ScheduleConfig } from '../schema/schedules.js';

/** The schedule a ScheduleConfig describes (as run.json stores it). */
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
