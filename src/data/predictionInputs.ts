import { readImageFiles, type NamedImages } from './imageFiles.js';
import { UserError } from '../util/errors.js';
import { featureSet, readCsv } from './csvTable.js';
import type { ImageSet } from './dataset.js';
import type { DataSourceSpec } from '../schema/data.js';

function concat(sets: readonly NamedImages[], like: Omit<ImageSet, 'images' | 'labels' | 'count'>): NamedImages {
  const names = sets.flatMap((s) => s.names);
  const total = sets.reduce((n, s) => n + s.images.images.length, 0);
  const float = sets.some((s) => s.images.images instanceof Float32Array);
  const values = float ? new Float32Array(total) : new Uint8Array(total);
  let offset = 0;
  for (const s of sets) {
    values.set(s.images.images, offset);
    offset += s.images.images.length;
  }
  return { names, images: { ...like, images: values, labels: new Uint8Array(names.length), count: names.length } };
}

/**
 * Reads the inputs to predict on the way a run's data source reads examples: rows of CSV files (their feature
 * columns by name, named file:line); for an image folder, image files of any size decoded and resized as in
 * training (and IDX files of the right size); for IDX runs, IDX and PNG files of the run's size.
 */
export async function readPredictionInputs(
  spec: DataSourceSpec,
  shape: readonly [number, number, number],
  files: readonly string[],
): Promise<NamedImages> {
  const [height, width, channels] = shape;
  if (spec.kind === 'csv') {
    const features = spec.features ?? [];
    const sets = files.map((file) => {
      if (!/\.csv$/i.test(file)) throw new UserError(`${file}: the run was trained on a CSV table; give CSV files with columns ${features.join(', ')}`);
      const csv = readCsv(file);
      return { names: csv.rows.map((r) => `${file}:${r.line}`), images: featureSet(csv, features) };
    });
    return concat(sets, { height: 1, width: 1, channels: features.length, shape: [features.length] });
  }
  const table = files.find((f) => /\.csv$/i.test(f));
  if (table !== undefined) throw new UserError(`${table}: this run takes ${height}x${width}x${channels} images; CSV files are for a run trained on a table`);
  // an IDX run takes images of its size as they are; an image folder's (or in-memory) run resizes them as in training
  return readImageFiles(files, shape, spec.kind !== 'idx');
}
