// The layer map of src/, checked by `npm test` (npm run check:layers): a folder imports only from its own layer and
// the layers below it, never upward, and there are no import cycles. Lowest first; a folder may import any folder
// listed before it (and itself). The package's entry points (src/index.ts and the subpath entries in src/entries/)
// sit on top and may import anything; the command line only from src/cli/.
'use strict';

const LAYERS = [
  ['schema'], // plain types of the files we write (run.json, compare.json, checkpoints, metrics) and their defaults
  ['util'], // errors, the progress reporter, the generator, text tables
  ['schedules', 'metrics', 'io'], // pure schedules and metrics; file primitives (atomic writes, the TF.js file handler)
  ['data'], // data sources, batches, image decoding
  ['backend'], // TF.js engines and our native kernels
  ['models'], // networks, FLOPs, forward passes
  ['training'], // the loop, SGD, SWA/SWAG math, task heads, objectives, plans
  ['run'], // the run driver and sinks, run directories: create, lock, record, snapshots, checkpoints; reading a run back
  ['ensemble'], // evaluating and predicting with a run's members
  ['deploy', 'landscape'], // export, quantisation, distillation, inference cost; the loss landscape
  ['compare'], // the paper's Table 1
  ['report'], // HTML reports and charts
  ['sweep', 'queue'], // sweeps; the BullMQ coordinator and worker
  ['serve'], // the browser page's server
  ['cli'], // the command line
  ['bench'], // npm run bench: a program of its own beside the command line, sharing its flag parsers
];

const level = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
const above = (i) => [...level].filter(([, j]) => j > i).map(([n]) => n);
const sameLayerOthers = (name) => LAYERS[level.get(name)].filter((n) => n !== name);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles: a module must not (indirectly) import itself.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...[...level].map(([name, i]) => ({
      name: `layer-${name}`,
      severity: 'error',
      comment: `src/${name}/ is in layer ${i}: it imports only from lower layers and its own folder (see LAYERS in .dependency-cruiser.cjs).`,
      from: { path: `^src/${name}/` },
      to: { path: `^src/(${[...above(i), ...sameLayerOthers(name)].join('|')})/` },
    })),
    {
      name: 'layered-folders-only',
      severity: 'error',
      comment: 'Every folder of src/ is in the layer map (or is an entry point).',
      from: { path: '^src/', pathNot: `^src/(${[...level.keys()].join('|')}|entries)/|^src/index\\.ts$` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
