import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { runCli, tempDir } from './cli.js';

/** `train` with these arguments ends in a one-line error matching pattern, a non-zero exit, and no run directory written. */
export function expectTrainRefused(args: string[], pattern: RegExp): void {
  const out = path.join(tempDir(), 'run');
  const r = runCli(['train', ...args, '--out', out]);
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(existsSync(out)).toBe(false);
}
