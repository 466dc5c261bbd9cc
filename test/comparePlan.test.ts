import { describe, expect, it } from 'vitest';
import { planCompare, swaStartEpochOf } from '../src/compare/plan.js';
import { ROW_NAMES, type CompareConfig } from '../src/schema/compare.js';
import { parseRows } from '../src/compare/rowSpec.js';
import { DEFAULT_COMPARE_CONFIG } from '../src/compare/runCompare.js';
import { spread } from '../src/compare/summarize.js';
import { UserError } from '../src/util/errors.js';

const config = (overrides: Partial<CompareConfig>): CompareConfig => ({
  ...DEFAULT_COMPARE_CONFIG,
  epochs: 4,
  cycles: 2,
  ensembleSize: 3,
  rows: ROW_NAMES.map((row) => ({ row, seeds: [1] })),
  ...overrides,
});

describe('compare plan: every row a configuration of the one loop, at one budget', () => {
  it('plans every row at its cost in budgets, sharing the step-schedule run between single, nocycle and the true ensemble', () => {
    // B = 4 epochs of 3 iterations: T = 12, M = 2
    const plan = planCompare(config({}), 3);
    expect(plan.budgetIterations).toBe(12);
    expect(plan.rows.map((r) => [r.key, r.members, r.cost])).toEqual([
      ['single', 1, 1],
      ['dropout', 1, 1],
      ['nocycle', 2, 1],
      ['singlecycle', 2, 1],
      ['snapshot-lr0.1', 2, 1],
      ['snapshot-lr0.2', 2, 1],
      ['fge', 1, 1],
      ['swa', 1, 1],
      ['swag', 10, 1],
      ['true-ensemble', 3, 3],
      ['distilled', 1, 2],
    ]);
    const [seed] = plan.seeds;
    const byId = new Map(seed!.runs.map((r) => [r.id, r]));
    // step run (shared), dropout run, 2 single-cycle runs, 2 snapshot runs, FGE, SWA (shared with SWAG), 2 more ensemble members, the student
    expect(seed!.runs).toHaveLength(11);
    const row = (key: string) => seed!.rows.find((r) => r.key === key)!;
    expect(row('single').members).toEqual([{ run: 'step-seed1', iteration: 12 }]);
    expect(row('nocycle').members).toEqual([{ run: 'step-seed1', iteration: 6 }, { run: 'step-seed1', iteration: 12 }]);
    expect(row('true-ensemble').runs[0]).toBe('step-seed1');
    expect(byId.get('step-seed1')!.snapshotAt).toEqual([6, 12]);
    expect(byId.get('step-seed1')!.schedule).toEqual({ name: 'stepDecay', lr0: 0.1, milestones: [6, 9], gamma: 0.1 });
    // SingleCycle: M fresh models of B/M epochs, cosine from lr0 to 0, independently seeded
    const single = row('singlecycle').runs.map((id) => byId.get(id)!);
    expect(single.map((r) => r.epochs)).toEqual([2, 2]);
    expect(single.map((r) => r.schedule)).toEqual([0, 1].map(() => ({ name: 'snapshotCosine', lr0: 0.1, totalSteps: 6, cycles: 1 })));
    expect(new Set(single.map((r) => r.seed)).size).toBe(2);
    expect(byId.get(row('snapshot-lr0.2').runs[0]!)!.schedule).toEqual({ name: 'snapshotCosine', lr0: 0.2, totalSteps: 12, cycles: 2 });
    // SWA averages from the end of epoch round(0.75 B) = 3, with its schedule's start there
    const swa = byId.get(row('swa').runs[0]!)!;
    expect(swa.swa).toEqual({ startEpoch: 3 });
    expect(swa.schedule).toEqual({ name: 'swa', lr0: 0.1, swaLr: 0.05, swaStart: 9 });
    expect(swa.snapshotAt).toEqual([]);
    // SWAG: S = 10 samples drawn from the moments of that same run, collected from the same epoch
    expect(row('swag').runs).toEqual(row('swa').runs);
    expect(swa.swag).toEqual({ startEpoch: 3, rank: 20, samples: 10 });
    expect(row('swag').members.map((m) => m.sample)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // FGE at T = 12: 2-epoch cycles are 6 iterations, the middle of the first at 4; 80% = 10 leaves too little, so
    // pre-training runs 8 iterations and the one member is taken at 12
    const fge = byId.get(row('fge').runs[0]!)!;
    expect(fge.schedule).toEqual({ name: 'fge', lr0: 0.1, pretrainSteps: 8, lr1: 0.05, lr2: 0.0005, cycleSteps: 6 });
    expect(row('fge').members).toEqual([{ run: fge.id, iteration: 12 }]);
    expect(byId.get(row('dropout').runs[0]!)!.dropout).toBe(0.2);
    // the true ensemble's members are independent initialisations
    expect(new Set(row('true-ensemble').runs.map((id) => byId.get(id)!.seed)).size).toBe(3);
  });

  it("plans the distilled row as a student of the first snapshot row's run, costing that run plus the student's iterations", () => {
    const plan = planCompare(config({ rows: [{ row: 'distilled', seeds: [1] }, { row: 'snapshot', seeds: [1] }], distill: { epochs: 2, temperature: 3, alpha: 0.5 } }), 3);
    // B = 4 epochs of 3 iterations: the snapshot run (12 iterations) and a student of 2 epochs (6): 18 / 12
    expect(plan.rows.map((r) => [r.key, r.members, r.cost])).toEqual([
      ['distilled', 1, 1.5],
      ['snapshot-lr0.1', 2, 1],
      ['snapshot-lr0.2', 2, 1],
    ]);
    const [seed] = plan.seeds;
    const distilled = seed!.rows.find((r) => r.key === 'distilled')!;
    expect(distilled.runs).toEqual(['snapshot-lr0.1-M2-seed1', 'distilled-T3-a0.5-2ep-from-snapshot-lr0.1-M2-seed1']);
    const [teacher, student] = seed!.runs;
    // the teacher is shared with the snapshot row, trained first, and keeps its members' weights
    expect(teacher!.id).toBe('snapshot-lr0.1-M2-seed1');
    expect(teacher!.keepWeights).toBe(true);
    expect(student!.distill).toEqual({ teacher: 'snapshot-lr0.1-M2-seed1', iterations: [6, 12], temperature: 3, alpha: 0.5 });
    expect(student!.schedule).toEqual({ name: 'snapshotCosine', lr0: 0.1, totalSteps: 6, cycles: 1 });
    expect(distilled.members).toEqual([{ run: student!.id, iteration: 6 }]);
    // defaults: B epochs, T = 4, alpha = 0.9; bad settings are user errors
    expect(planCompare(config({ rows: [{ row: 'distilled', seeds: [1] }] }), 3).rows[0]!.cost).toBe(2);
    expect(() => planCompare(config({ distill: { epochs: null, temperature: 0, alpha: 0.5 } }), 3)).toThrow(/--temperature must be a positive number/);
    expect(() => planCompare(config({ distill: { epochs: null, temperature: 1, alpha: 2 } }), 3)).toThrow(/--alpha must be in \[0, 1\]/);
  });

  it('runs rows with their own seed counts; a seed without nocycle takes only the final member of its step run', () => {
    const rows = parseRows('single:2,snapshot:2,nocycle', 1, 7);
    expect(rows).toEqual([
      { row: 'single', seeds: [7, 8] },
      { row: 'snapshot', seeds: [7, 8] },
      { row: 'nocycle', seeds: [7] },
    ]);
    const plan = planCompare(config({ rows, snapshotLr0: [0.1] }), 3);
    expect(plan.seeds.map((s) => s.seed)).toEqual([7, 8]);
    expect(plan.seeds[1]!.rows.map((r) => r.key)).toEqual(['single', 'snapshot-lr0.1']);
    expect(plan.seeds[1]!.runs.find((r) => r.id === 'step-seed8')!.snapshotAt).toEqual([12]);
    expect(parseRows('all', 2, 1).map((r) => r.row)).toEqual([...ROW_NAMES]);
  });

  it('refuses what cannot be planned, with user errors', () => {
    expect(() => planCompare(config({ epochs: 5, cycles: 2 }), 3)).toThrow(/--epochs 5 must be a multiple of --cycles 2/);
    // without singlecycle, M need not divide B
    expect(planCompare(config({ epochs: 5, cycles: 2, rows: [{ row: 'snapshot', seeds: [1] }] }), 3).rows[0]!.members).toBe(2);
    expect(() => planCompare(config({ cycles: 13 }), 3)).toThrow(UserError);
    expect(() => planCompare(config({ dropout: 0 }), 3)).toThrow(/dropout row needs --dropout/);
    expect(() => parseRows('single,tripple', 1, 1)).toThrow(/unknown row 'tripple'/);
    expect(() => parseRows('single,single:2', 1, 1)).toThrow(/names single twice/);
    expect(() => parseRows('snapshot:0', 1, 1)).toThrow(/at least 1/);
  });

  it('spread: the mean and the sample standard deviation over seeds', () => {
    expect(spread([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) });
    expect(spread([0.07])).toEqual({ mean: 0.07, std: null });
  });
});

describe('SWA averages from round(swaStart x B), at least two weight sets when B >= 2', () => {
  it.each([
    [12, 0.75, 9],
    [4, 0.75, 3],
    [2, 0.75, 1],
    [2, 0.5, 1],
    [1, 0.75, 1],
    [10, 1, 9],
    [10, 0.01, 1],
  ])('B = %i, swaStart %f: from epoch %i', (epochs, swaStart, expected) => {
    expect(swaStartEpochOf({ epochs, swaStart })).toBe(expected);
  });
});

describe('compare rows fge and swag at the same budget', () => {
  it('FGE with several cycles: B = 10 epochs of 10 iterations, cycles of 0.5 epochs, members at every middle', () => {
    const plan = planCompare(config({ epochs: 10, fge: { cycleEpochs: 0.5, lr1: 0.05, lr2: 0.0005, pretrain: 0.8 }, rows: [{ row: 'fge', seeds: [1] }] }), 10);
    const row = plan.seeds[0]!.rows[0]!;
    expect(row.members.map((m) => m.iteration)).toEqual([85, 90, 95, 100]);
    expect(plan.rows[0]).toMatchObject({ key: 'fge', members: 4, cost: 1 });
  });

  it('SWAG alone plans the SWA run with moments but no average; bad K or S are refused', () => {
    const plan = planCompare(config({ swag: { rank: 5, samples: 4 }, rows: [{ row: 'swag', seeds: [1] }] }), 3);
    const [run] = plan.seeds[0]!.runs;
    expect(run).toMatchObject({ swa: null, swag: { startEpoch: 3, rank: 5, samples: 4 } });
    expect(() => planCompare(config({ swag: { rank: 0, samples: 4 } }), 3)).toThrow(/--swag-rank must be a positive integer/);
  });
});
