import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.js';

/** Refuses an output path that is a file or a directory holding anything: a new artefact never lands on old files. */
export function checkFreshOutput(dir: string, flag = '--out'): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is a file; choose another ${flag}`);
  if (readdirSync(dir).length > 0) throw new UserError(`${dir} already holds something; choose another ${flag} (an empty or new directory)`);
}

/** Removes an empty output directory left for a writer that creates the directory itself (atomically, by rename). */
export function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}
