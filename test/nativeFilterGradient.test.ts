import { afterEach, describe, expect, it } from 'vitest';
import { Rng, standardNormal } from '../src/util/rng.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';

/**
 * The filter gradient of a convolution over activations blocked by 8 channels (nChw8c), as a training program runs
 * it: by our own loops where they take the geometry (stride 1, native/src/convFilter.cc), by oneDNN's otherwise or
 * when SE_NATIVE_FILTER_GRADIENT=onednn. Both against the sum written out in double, on random geometries: 1 to 3
 * images, 8 to 48 input and output channels (one and two blocks to a tile, and the tiles' remainders of 2 and 4
 * input channels), filters 1x1 to 4x4, paddings on every side, images from 1x1.
 */
interface Geometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
}

const oh = (g: Geometry) => Math.floor((g.h + g.pt + g.pb - g.kh) / g.sh) + 1;
const ow = (g: Geometry) => Math.floor((g.w + g.pl + g.pr - g.kw) / g.sw) + 1;
// Element (image, row, column, channel) of activations blocked by 8 channels, c channels of rows x cols positions.
const at = (c: number, rows: number, cols: number, n: number, y: number, x: number, ch: number) =>
  (((n * (c / 8) + Math.floor(ch / 8)) * rows + y) * cols + x) * 8 + (ch % 8);

function reference(g: Geometry, x: Float32Array, dy: Float32Array): Float64Array {
  const dw = new Float64Array(g.kh * g.kw * g.ci * g.co);
  for (let n = 0; n < g.n; n++)
    for (let y = 0; y < oh(g); y++)
      for (let xo = 0; xo < ow(g); xo++)
        for (let kh = 0; kh < g.kh; kh++)
          for (let kw = 0; kw < g.kw; kw++) {
            const iy = y * g.sh - g.pt + kh, ix = xo * g.sw - g.pl + kw;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            for (let ci = 0; ci < g.ci; ci++) {
              const v = x[at(g.ci, g.h, g.w, n, iy, ix, ci)]!;
              for (let co = 0; co < g.co; co++) dw[((kh * g.kw + kw) * g.ci + ci) * g.co + co]! += v * dy[at(g.co, oh(g), ow(g), n, y, xo, co)]!;
            }
          }
  return dw;
}

function randomGeometry(rng: Rng, sh: number): Geometry {
  const pick = <T>(values: T[]) => values[rng.int(values.length)]!;
  const h = 1 + rng.int(10), w = 1 + rng.int(10);
  const pt = rng.int(3), pl = rng.int(3);
  const kh = 1 + rng.int(Math.min(4, h + pt)), kw = 1 + rng.int(Math.min(4, w + pl));
  return { n: 1 + rng.int(3), h, w, ci: pick([8, 16, 24, 32, 48]), co: pick([8, 16, 24, 40]), kh, kw, sh, sw: sh, pt, pl, pb: rng.int(3), pr: rng.int(3) };
}

describe.skipIf(!nativeLoad.ok)(`the filter gradient over 8-channel blocks (${nativeSkipReason ?? 'addon loaded'})`, () => {
  afterEach(() => {
    delete process.env.SE_NATIVE_FILTER_GRADIENT;
  });

  it.each(Array.from({ length: 24 }, (_, i) => i))('random geometry %i: our loops and oneDNN against the sum in double', (seed) => {
    if (!nativeLoad.ok) return;
    const addon = nativeLoad.addon;
    const rng = new Rng(900 + seed);
    const g = randomGeometry(rng, seed < 20 ? 1 : 2); // the last four strided: oneDNN's whichever is asked
    const x = Float32Array.from({ length: g.n * g.ci * g.h * g.w }, () => standardNormal(rng));
    const dy = Float32Array.from({ length: g.n * g.co * oh(g) * ow(g) }, () => standardNormal(rng));
    const filter = g.kh * g.kw * g.ci * g.co;
    const convFilter = addon.programOperations()['convFilter']![0];
    const buffers = [
      [1, 0, 1, (g.ci / 8) * g.h * g.w, 8, 8],
      [1, 1, 1, (g.co / 8) * oh(g) * ow(g), 8, 8],
      [1, 2, 0, 1, filter, filter],
    ];
    const op = [convFilter, 0, 1, 2, -1, 8, g.h, g.w, g.kh, g.kw, oh(g), ow(g), g.sh, g.sw, g.pt, g.pl, g.pb, g.pr];
    const program = addon.createProgram(16, g.n, buffers, [op], []);
    const expected = reference(g, x, dy);
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const engine of ['own', 'onednn']) {
      process.env.SE_NATIVE_FILTER_GRADIENT = engine;
      const dw = new Float32Array(filter).fill(Number.NaN); // every element must be written
      addon.runProgram(program, 0, g.n, [x, dy, dw]);
      const error = dw.reduce((m, v, k) => Math.max(m, Math.abs(v - expected[k]!)), 0) / scale;
      expect(error, `${engine}, ${JSON.stringify(g)}`).toBeLessThan(1e-5);
    }
  });
});
