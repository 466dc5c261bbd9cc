import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolate, planeGrid, planePoint, planeThrough, segmentAlphas } from '../src/landscape/geometry.js';
import { barrier, type LandscapeResult } from '../src/landscape/measure.js';
import { runCli, tempDir } from './helpers/cli.js';

const vec = (...v: number[]) => Float32Array.from(v);

describe('landscape geometry: lines and planes through snapshots', () => {
  it('segments: (1 - alpha) a + alpha b at 11 evenly spaced alphas', () => {
    expect(segmentAlphas(11)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((x, i) => i / 10 || x));
    expect(Array.from(interpolate(vec(0, 2), vec(4, -2), 0.25))).toEqual([1, 1]);
  });

  it('the plane through three points: orthonormal u, v, and the points at their coordinates', () => {
    const w1 = vec(1, 1, 1);
    const w2 = vec(4, 5, 1); // |w2 - w1| = 5
    const w3 = vec(1, 1, 3);
    const plane = planeThrough(w1, w2, w3);
    expect(plane.anchors[0]).toEqual([0, 0]);
    expect(plane.anchors[1]![0]).toBeCloseTo(5, 6);
    expect(plane.anchors[2]![0]).toBeCloseTo(0, 6);
    expect(plane.anchors[2]![1]).toBeCloseTo(2, 6);
    expect(Array.from(plane.u).map((x) => +x.toFixed(6))).toEqual([0.6, 0.8, 0]);
    expect(Array.from(plane.v)).toEqual([0, 0, 1]);
    for (const [k, w] of [w1, w2, w3].entries()) {
      const [x, y] = plane.anchors[k]!;
      Array.from(planePoint(plane, x, y)).forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 5));
    }
    // a 3 x 3 grid over the anchors' box [0, 5] x [0, 2] widened by 20% on every side, lowest y first
    const grid = planeGrid(plane, 3);
    expect(grid.map((p) => [+p.x.toFixed(6), +p.y.toFixed(6)])).toEqual([
      [-1, -0.4], [2.5, -0.4], [6, -0.4],
      [-1, 1], [2.5, 1], [6, 1],
      [-1, 2.4], [2.5, 2.4], [6, 2.4],
    ]);
    expect(() => planeThrough(w1, w1, w3)).toThrow(/distinct/);
    expect(() => planeThrough(w1, w2, vec(7, 9, 1))).toThrow(/not on one line/);
  });

  it('the barrier is the highest rise above the chord between the ends', () => {
    expect(barrier([{ alpha: 0, value: 1 }, { alpha: 0.5, value: 3 }, { alpha: 1, value: 2 }])).toBeCloseTo(1.5, 12);
    expect(barrier([{ alpha: 0, value: 2 }, { alpha: 0.5, value: 1 }, { alpha: 1, value: 0 }])).toBe(0);
  });
});

describe('landscape <run-dir>', () => {
  it('measures the segments and the plane, writes landscape.json, and the report draws it', () => {
    const out = path.join(tempDir(), 'run');
    // 16 images / 8 = 2 iterations per epoch; 3 cycles of one epoch each
    expect(runCli(['train', '--train-size', '16', '--test-size', '20', '--batch-size', '8', '--epochs', '3', '--cycles', '3', '--no-report', '--out', out]).code).toBe(0);
    const run = runCli(['landscape', out, '--points', '3', '--grid', '2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^snapshots 1 -> 2: training-loss barrier \d+\.\d{4}, test-error barrier \d+\.\d\d%$/m);
    expect(run.stderr).toMatch(/9 weight sets evaluated/);
    const result = JSON.parse(readFileSync(path.join(out, 'landscape.json'), 'utf8')) as LandscapeResult;
    expect(result.segments.map((s) => [s.from, s.to, s.points.length])).toEqual([[1, 2, 3], [2, 3, 3]]);
    // the shared end of two segments is one evaluation
    expect(result.segments[1]!.points[0]).toEqual({ ...result.segments[0]!.points[2]!, alpha: 0 });
    expect(result.plane).toMatchObject({ snapshots: [1, 2, 3], size: 2 });
    expect(result.plane!.points).toHaveLength(4);
    expect(result.trainImages).toBe(16);
    const report = runCli(['report', out]);
    expect(report.code).toBe(0);
    expect(report.stderr).not.toMatch(/warning/);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/id="landscape-lines"/);
    expect(html).toMatch(/id="landscape-plane"/);
    const bad = runCli(['landscape', out, '--plane', '1,2']);
    expect(bad.stderr.trim()).toBe("error: --plane: expected three snapshot numbers such as 1,2,3, got '1,2'");
  });
});
