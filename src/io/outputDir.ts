import { mkdirSync, statSync } from 'node:fs';
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

/**
 * Creates an output directory and its parents (nothing when it exists), or says in one line why it cannot: a file
 * where the directory or one of its parents should be, or no permission.
 */
export function makeOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      const file = fileInTheWay(dir);
      const where = file === null || file === path.resolve(dir) ? 'it is a file' : `${file} is a file`;
      throw new UserError(`cannot create the output directory ${dir}: ${where}, not a directory`);
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(`cannot create the output directory ${dir}: permission denied (${code})`);
    }
    throw e;
  }
}
