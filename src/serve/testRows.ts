import type { ImageSet } from '../data/dataset.js';
import type { DataRecord } from '../schema/run.js';

/**
 * A table run's rows as the page shows them (no Node here: the page imports this module too). A run takes rows of
 * a table when one example is F numbers (run.json's data.exampleShape [F]), as from a CSV file or a table given in
 * memory; every other run takes H x W x C images.
 */

export function isTableRun(data: Pick<DataRecord, 'exampleShape'>): boolean {
  return data.exampleShape?.length === 1;
}

/** The names of a table run's features: its CSV columns, or 'feature 1'..'feature F' for a table given in memory. */
export function featureNames(data: Pick<DataRecord, 'exampleShape' | 'source'>): string[] {
  const count = data.exampleShape?.[0] ?? 0;
  const named = data.source?.kind === 'csv' ? data.source.features : null;
  return named !== null && named.length === count ? [...named] : Array.from({ length: count }, (_, i) => `feature ${i + 1}`);
}

/** The JSON the page fetches from /api/test-rows: the first rows of a table run's test split, as numbers. */
export interface TestRowsResponse {
  count: number;
  /** The feature columns, in the order of each row's values. */
  features: string[];
  /** Index of each row in the test split. */
  indices: number[];
  /** Each row's class index, or for a regression run its target value. */
  labels: number[];
  /** count rows of features.length values each (the float32 values the models are given, as JSON numbers). */
  rows: number[][];
}

export function testRowsResponse(set: ImageSet, count: number, features: readonly string[]): TestRowsResponse {
  const n = Math.max(0, Math.min(count, set.count));
  const f = set.height * set.width * set.channels;
  if (f !== features.length) throw new Error(`the test rows hold ${f} values each but the run has ${features.length} features`);
  return {
    count: n,
    features: [...features],
    indices: Array.from({ length: n }, (_, i) => i),
    labels: Array.from(set.labels.subarray(0, n)),
    rows: Array.from({ length: n }, (_, i) => Array.from(set.images.subarray(i * f, (i + 1) * f))),
  };
}
