import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

/** The first of dir and its ancestors, from the top, that exists and is not a directory; null when there is none. */
function fileInTheWay(dir: string): string | null {
  const chain: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    chain.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of chain) {
    const stat = statSync(p, { throwIfNoEntry: false });
    if (stat === undefined) return null;
    if (!stat.isDirectory()) return p;
  }
  return null;
}

/** The one-line error for an output directory that a file (dir itself, or one of its parents) stands in the way of. */
function fileInTheWayError(dir: string, file: string | null): UserError {
  const where = file === null || file === path.resolve(dir) ? 'it is a file' : `${file} is a file`;
  return new UserError(`cannot create the output directory ${dir}: ${where}, not a directory`);
}

/**
 * Creates an output directory and its parents (nothing when it exists), or says in one line why it cannot: a file
 * where the directory or one of its parents should be, or no permission.
 */
export function makeOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw fileInTheWayError(dir, fileInTheWay(dir));
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(`cannot create the output directory ${dir}: permission denied (${code})`);
    }
    throw e;
  }
}

/**
 * Refuses an output path that is a file, lies under one, or is a directory holding anything: a new artefact never
 * lands on old files. Creates nothing.
 */
export function checkFreshOutput(dir: string, flag = '--out'): void {
  const file = fileInTheWay(dir);
  if (file === path.resolve(dir)) throw new UserError(`${dir} is a file; choose another ${flag}`);
  if (file !== null) throw fileInTheWayError(dir, file);
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (readdirSync(dir).length > 0) throw new UserError(`${dir} already holds something; choose another ${flag} (an empty or new directory)`);
}

/** Removes an empty output directory left for a writer that creates the directory itself (atomically, by rename). */
export function removeIfEmpty(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat !== undefined && stat.isDirectory() && readdirSync(dir).length === 0) rmdirSync(dir);
}
