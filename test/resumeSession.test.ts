import { describe, expect, it } from 'vitest';
import { resumedSession } from '../src/cli/trainingSession.js';

import type { SessionFlags } from '../src/cli/trainingSession.js';
import type { RunRecord } from '../src/schema/run.js';

const FLAGS: SessionFlags = { backend: 'auto', checkpointEvery: 1, json: false, report: true };
const record = (fields: Partial<RunRecord>) => ({ backend: 'wasm', threads: 2, report: false, ...fields }) as RunRecord;
const nothingGiven = () => false;
const given = (...flags: string[]) => (flag: string) => flags.includes(flag);

describe('a resumed run continues as its run.json says', () => {
  it("takes the recorded engine, thread count and --no-report when the command names none, and says nothing", () => {
    const s = resumedSession(FLAGS, record({}), nothingGiven);
    expect(s.flags).toMatchObject({ backend: 'wasm', threads: 2, report: false });
    expect(s.warnings).toEqual([]);
    expect(s.unavailable?.('the wasm backend is not available: x')).toBe(
      'the wasm backend is not available: x; the run trained on wasm: resume it on another engine with --backend NAME (its snapshots will not be bitwise those of an uninterrupted run)',
    );
  });

  it('lets --backend, --threads and --report win, warning where the numbers will differ', () => {
    const other = resumedSession({ ...FLAGS, backend: 'native' }, record({}), given('backend'));
    expect(other.flags.backend).toBe('native');
    expect(other.flags.threads).toBeUndefined();
    expect(other.warnings).toEqual(['the run trained on wasm and resumes on native: its snapshots will not be bitwise those of an uninterrupted run']);
    expect(other.unavailable).toBeNull();
    const same = resumedSession({ ...FLAGS, backend: 'wasm' }, record({}), given('backend'));
    expect(same.warnings).toEqual([]);
    expect(same.flags.threads).toBe(2);
    const threads = resumedSession({ ...FLAGS, threads: 1 }, record({}), given('threads'));
    expect(threads.flags).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(threads.warnings).toEqual(['the run trained on 2 wasm thread(s) and resumes on 1: its snapshots will not be bitwise those of an uninterrupted run']);
    expect(resumedSession(FLAGS, record({}), given('report')).flags.report).toBe(true);
  });

  it('an older run without threads or report continues on its engine with the default threads and writes its report', () => {
    const s = resumedSession(FLAGS, record({ backend: 'native', threads: undefined, report: undefined }), nothingGiven);
    expect(s.flags).toMatchObject({ backend: 'native', report: true });
    expect(s.flags.threads).toBeUndefined();
  });
});
