import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';

interface Counts {
  run: number;
  passed: number;
  failed: number;
  excluded: number;
  pending: number;
  suiteErrors: number;
}

/** The per-backend lines of scripts/tfjs-ops.mjs: "native: 4230 specs run, 4225 passed, 0 failed, 0 excluded, ...". */
function parse(stdout: string, backend: string): Counts | null {
  const m = new RegExp(`^${backend}: (\\d+) specs run, (\\d+) passed, (\\d+) failed, (\\d+) excluded, (\\d+) pending, (\\d+) suite errors`, 'm').exec(stdout);
  if (m === null) return null;
  const [run, passed, failed, excluded, pending, suiteErrors] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return { run, passed, failed, excluded, pending, suiteErrors };
}

describe.skipIf(!nativeLoad.ok)(`TensorFlow.js's own op test suite (${nativeSkipReason ?? 'addon loaded'})`, () => {
  it('every spec that tfjs-core ships passes on native, as on cpu, with the cpu backend\'s exclusions only (a crash fails too)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'tfjs-ops.mjs'), 'cpu', 'native'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 2 ** 20 });
    console.log(r.stdout);
    const cpu = parse(r.stdout, 'cpu');
    const native = parse(r.stdout, 'native');
    expect(native, r.stdout + r.stderr).not.toBeNull();
    expect(native!.failed).toBe(0);
    expect(native!.suiteErrors).toBe(0);
    expect(r.status).toBe(0);
    // tfjs-core 4.22 ships about 4,200 specs for a Node backend; cpu runs 2 more ('Switching cpu backends' is cpu's own).
    expect(native!.run).toBeGreaterThan(4000);
    expect(native!.passed).toBe(native!.run - native!.pending);
    expect(native!.run).toBe(cpu!.run - 2);
  });
});
