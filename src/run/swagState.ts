import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SwagMoments } from '../training/swag.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import type { SwagRecord } from '../schema/run.js';
import { SWAG_DIR, SWAG_MOMENTS_FILE } from '../schema/run.js';

/**
 * Writes the moments as moments.bin: float32 little-endian, the mean (P values), the second moment (P), then the
 * deviations, oldest first (rank x P). Returns the record for run.json.
 */
export function writeSwagMoments(runDir: string, moments: SwagMoments, startEpoch: number, savedAt: number): SwagRecord {
  const P = moments.mean.length;
  const rank = moments.deviations.length;
  const data = new Float32Array(P * (2 + rank));
  data.set(moments.mean, 0);
  data.set(moments.sqMean, P);
  moments.deviations.forEach((d, i) => data.set(d, P * (2 + i)));
  const bytes = new Uint8Array(data.buffer);
  const dir = path.join(runDir, SWAG_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, SWAG_MOMENTS_FILE), bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { path: SWAG_DIR, startEpoch, maxRank: moments.maxRank, count: moments.count, rank, parameters: P, savedAt, sha256: { [SWAG_MOMENTS_FILE]: sha256 } };
}

/** Reads a run's moments back, after checking the file's size and its sha256 against run.json. */
export function readSwagMoments(runDir: string, record: SwagRecord): SwagMoments {
  const file = path.join(runDir, record.path, SWAG_MOMENTS_FILE);
  if (!existsSync(file)) throw new UserError(`${file}: missing (the run's SWAG moments)`);
  const bytes = readFileSync(file);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== record.sha256[SWAG_MOMENTS_FILE]) throw new UserError(`${file}: damaged (sha256 differs from run.json)`);
  const P = record.parameters;
  if (bytes.length !== 4 * P * (2 + record.rank)) {
    throw new UserError(`${file}: ${bytes.length} bytes, but run.json describes ${2 + record.rank} vectors of ${P} float32 weights`);
  }
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return {
    count: record.count,
    maxRank: record.maxRank,
    mean: data.slice(0, P),
    sqMean: data.slice(P, 2 * P),
    deviations: Array.from({ length: record.rank }, (_, i) => data.slice(P * (2 + i), P * (3 + i))),
  };
}
