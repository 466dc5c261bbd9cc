import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from './durableWrite.js';

/** A sibling temporary name for `target`, unique per call, hidden from directory listings by a leading dot. */
export function temporarySibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file through a temporary name and a rename, so a reader never sees it half-written. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = temporarySibling(file);
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Removes what writes interrupted by a crash left in a directory: hidden `.<name>.tmp-*` files and folders, except
 * a checkpoint moved aside (`.checkpoint-old.tmp-*`), which may be the only whole checkpoint.
 */
export function removeTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') && name.includes('.tmp-') && !name.startsWith('.checkpoint-old.tmp-')) {
      rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}
