import type { Command } from 'commander';
import type { SwagDrawOptions } from '../ensemble/swagRun.js';
import { integer } from './parsers.js';

export interface SwagDrawFlags {
  swagSamples?: number;
  swagSeed?: number;
}

/** --swag-samples and --swag-seed: how the members of a SWAG run are drawn (evaluate, predict, report). */
export function addSwagDrawOptions(command: Command): Command {
  return command
    .option('--swag-samples <S>', "a SWAG run's weight samples to draw and average (default: the run's --swag-samples)", integer(1))
    .option('--swag-seed <n>', "seed of a SWAG run's draws (default: the run's seed, as training evaluated it)", integer(0, 2 ** 32 - 1));
}

/** The draw options given on the command line, for the library (an empty object when none were). */
export function swagDraws(flags: SwagDrawFlags): { swag?: SwagDrawOptions } {
  if (flags.swagSamples === undefined && flags.swagSeed === undefined) return {};
  return {
    swag: {
      ...(flags.swagSamples === undefined ? {} : { samples: flags.swagSamples }),
      ...(flags.swagSeed === undefined ? {} : { seed: flags.swagSeed }),
    },
  };
}
