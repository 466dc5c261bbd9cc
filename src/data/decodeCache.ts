import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomicWrite.js';

/** Bumped when the decoding changes, so older cache entries are not used. */
// 2: grey is BT.601 luma of the sRGB pixels (luma601), as everywhere else, not libvips' b-w
const CACHE_VERSION = 2;

/** Where decoded image folders are kept: $SNAPSHOT_ENSEMBLES_CACHE, else ($XDG_CACHE_HOME or ~/.cache)/snapshot-ensembles/decoded. */
export function defaultCacheDir(): string {
  const env = process.env['SNAPSHOT_ENSEMBLES_CACHE'];
  if (env !== undefined && env !== '') return env;
  const base = process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'snapshot-ensembles', 'decoded');
}

/** A decoded file list: its bytes (count x height x width x channels) and what they are. */
export interface DecodedImages {
  height: number;
  width: number;
  channels: number;
  /** The files decoded, in order (those that failed under --skip-bad-images left out). */
  files: string[];
  labels: number[];
  skipped: { file: string; reason: string }[];
  pixels: Uint8Array;
}

/**
 * The cache key of a list of files to decode: their paths, sizes and modification times, their labels, and how
 * they are decoded. A file that is replaced or touched gives another key, so a stale entry is never read.
 */
export function cacheKey(files: readonly string[], labels: readonly number[], decoding: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify({ version: CACHE_VERSION, decoding, labels }));
  for (const file of files) {
    const s = statSync(file);
    hash.update(`\n${path.resolve(file)}\t${s.size}\t${s.mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** The entry under `key`, or null when there is none or it is incomplete or damaged (then it is decoded again). */
export function readCached(cacheDir: string, key: string): DecodedImages | null {
  const metaFile = path.join(cacheDir, `${key}.json`);
  const binFile = path.join(cacheDir, `${key}.bin`);
  if (!existsSync(metaFile) || !existsSync(binFile)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Omit<DecodedImages, 'pixels'>;
    const bytes = readFileSync(binFile);
    if (bytes.length !== meta.files.length * meta.height * meta.width * meta.channels) return null;
    return { ...meta, pixels: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  } catch {
    return null;
  }
}

/** Stores an entry: the bytes first, then the description that makes it valid, each written atomically. */
export function writeCached(cacheDir: string, key: string, decoded: DecodedImages): void {
  mkdirSync(cacheDir, { recursive: true });
  const { pixels, ...meta } = decoded;
  writeFileAtomic(path.join(cacheDir, `${key}.bin`), pixels);
  writeJsonAtomic(path.join(cacheDir, `${key}.json`), meta);
}
