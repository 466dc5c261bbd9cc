import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/backend/native/addon.js';
import { ROOT } from './helpers/cli.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';

/**
 * Runs `body` in a fresh node with the addon loaded as `addon`; `body` returns what is printed as JSON. A call that
 * took the process down shows as a signal or exit 134 here, not as a crash of the test runner.
 */
function withAddon(body: string, nodeOptions: string[] = []) {
  const source = `
    const addon = require(${JSON.stringify(addonPath())});
    addon.setThreads(2);
    const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.constructor.name + ': ' + e.message; } };
    console.log(JSON.stringify((() => { ${body} })()));`;
  const r = spawnSync(process.execPath, [...nodeOptions, '-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, result: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null };
}

// A 5x5 single-channel image under a 3x3 filter, stride 1, no padding: the output is 3x3.
const conv = (oh: number) => `const shape = [1, 5, 5, 1, 3, 3, 1, ${oh}, ${oh}, 1, 1, 1, 1, 0, 0, 0, 0];
  const x = new Float32Array(25).fill(1), w = new Float32Array(9).fill(1), y = new Float32Array(${oh * oh});`;

describe.skipIf(!nativeLoad.ok)(`the addon never takes the process down (${nativeSkipReason ?? 'addon loaded'})`, () => {
  it('a convolution geometry oneDNN rejects is a JavaScript Error with oneDNN\'s message, for each direction', () => {
    // 4x4 claimed for a 3x3 output: the arrays' lengths agree with the claim, the geometry does not.
    const r = withAddon(`${conv(4)}
      return [attempt(() => addon.conv2dForward(shape, x, w, null, y, false)),
              attempt(() => addon.conv2dBackwardData(shape, y, w, x)),
              attempt(() => addon.conv2dBackwardWeights(shape, x, y, w))];`);
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    // oneDNN 2.x: 'could not create a descriptor for a dilated convolution forward propagation primitive'
    expect(r.result[0]).toMatch(/^Error: conv2dForward: oneDNN: could not create a .*convolution forward .* \(invalid_arguments\)$/);
    expect(r.result[1]).toMatch(/^Error: conv2dBackwardData: oneDNN: could not create a .*convolution.* \(invalid_arguments\)$/);
    expect(r.result[2]).toMatch(/^Error: conv2dBackwardWeights: oneDNN: could not create a .*convolution.* \(invalid_arguments\)$/);
  });

  it('a std::bad_alloc is a JavaScript Error too', () => {
    // 2^50 channels of an empty tensor: the per-channel scratch (2^53 bytes) is more than any address space holds.
    const r = withAddon(`return attempt(() => addon.batchNormAffine(new Float32Array(0), new Float32Array(0), 2 ** 50, null, null, null, null, 1e-3));`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toBe('Error: batchNormAffine: out of memory');
  });

  it('a max-pooling window of 2^31 positions or more is an Error, not a wrong gradient', () => {
    // The gradient keeps each channel's winning position in the window as an int32; a 65536 x 65536 window over a 1 x 1
    // image (the arrays agree with the shape) would overflow it.
    const r = withAddon(`const one = () => new Float32Array(1);
      return [attempt(() => addon.maxPoolGrad([1, 1, 1, 1, 65536, 65536, 1, 1, 1, 1, 0, 0], one(), one(), one())),
              attempt(() => addon.maxPoolGrad([1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0], one(), one(), one()))];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual(['Error: maxPoolGrad: a max pooling window of 2^31 positions or more', 'no error']);
  });

  it('a typed array of another type is a TypeError naming the argument, never reinterpreted', () => {
    const r = withAddon(`${conv(3)}
      return [attempt(() => addon.unary(0, new Int32Array([1, 2, 3]), new Float32Array(3), 0)),
              attempt(() => addon.conv2dForward(shape, new Uint8Array(25), w, null, y, false)),
              attempt(() => addon.concat([new Float32Array(2), new Float64Array(2)], [2, 2], 1, new Float32Array(4))),
              attempt(() => addon.reduce(0, [1, 2], new Float32Array(1), [1, 2, 1])),
              attempt(() => addon.setThreads('two'))];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual([
      'TypeError: unary: argument 1 (x) must be a Float32Array, got Int32Array',
      'TypeError: conv2dForward: argument 1 (x) must be a Float32Array, got Uint8Array',
      'TypeError: concat: argument 0 (blocks)[1] must be a Float32Array, got Float64Array',
      'TypeError: reduce: argument 1 (x) must be a Float32Array, got an Array',
      'TypeError: setThreads: argument 0 (threads) must be a number, got a string',
    ]);
  });

  it('an array shorter or longer than its shape claims is a RangeError, nothing read or written past it', () => {
    const r = withAddon(`${conv(3)}
      const n = 1 << 16;
      return [attempt(() => addon.conv2dForward(shape, x.subarray(1), w, null, y, false)),
              attempt(() => addon.conv2dForward(shape, x, w, null, new Float32Array(8), false)),
              attempt(() => addon.binary(0, new Float32Array(n), [n], new Float32Array(10), [n], new Float32Array(n), [n])),
              attempt(() => addon.batchMatMul(new Float32Array(6), new Float32Array(6), new Float32Array(4), [1, 1, 2, 2, 4], false, false, null, false)),
              attempt(() => addon.pool([1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0], new Float32Array(16), new Float32Array(3), true)),
              attempt(() => addon.window(new Float32Array(6), [2, 3], [1, 1], new Float32Array(6), [2, 3], [0, 0], [1, 3], 0)),
              attempt(() => addon.transpose(new Float32Array(6), [2, 3], [1, 1], new Float32Array(6))),
              attempt(() => addon.batchNormAffine(new Float32Array(7), new Float32Array(7), 2, null, null, null, null, 1e-3))];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual([
      'RangeError: conv2dForward: argument 1 (x) holds 24 elements where the shape needs 25',
      'RangeError: conv2dForward: argument 4 (out) holds 8 elements where the shape needs 9',
      'RangeError: binary: argument 3 (b) holds 10 elements where the shape needs 65536',
      'RangeError: batchMatMul: argument 0 (a) holds 6 elements where the shape needs 8',
      'RangeError: pool: argument 2 (out) holds 3 elements where the shape needs 4',
      'RangeError: window: the box does not lie inside both x and out',
      'RangeError: transpose: perm is not a permutation of the axes',
      'RangeError: batchNormAffine: x holds 7 elements, not a multiple of the 2 channels',
    ]);
  });

  it('an empty axis that a kernel would divide by is refused, and empty outputs are fine', () => {
    const r = withAddon(`
      const none = new Float32Array(0);
      return [attempt(() => addon.batchNormMoments(new Float32Array(6), 0, none, none)),
              attempt(() => addon.batchNormMoments(none, 3, new Float32Array(3), new Float32Array(3))),
              attempt(() => addon.reduce(1, none, new Float32Array(4), [4, 0, 1])),
              attempt(() => addon.softmax(new Float32Array(4), new Float32Array(4), 0)),
              attempt(() => addon.binary(0, none, [3, 0], new Float32Array(1), [1], none, [3, 0])),
              attempt(() => addon.transpose(none, [2, 0, 3], [2, 0, 1], none))];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual([
      'RangeError: batchNormMoments: argument 1 (channels) must be an integer >= 1, got 0.000000',
      'RangeError: batchNormMoments: x holds no rows: the statistics of an empty batch are undefined',
      'RangeError: reduce: the reduced axes are empty',
      'RangeError: softmax: argument 2 (classes) must be an integer >= 1, got 0.000000',
      'no error',
      'no error',
    ]);
  });

  it('a training program is checked operand by operand when it is made and array by array when it runs', () => {
    // Buffers are [external, at, batched, rows, cols, stride]; operations [code, ...buffer ids, ...parameters].
    const r = withAddon(`
      const ops = addon.programOperations();
      const conv = ops.conv[0], copy = ops.copy[0], relu = ops.relu[0], batchNorm = ops.batchNorm[0];
      // A batch norm of 2 channels over x (4 positions) into y, with a residual (buffer 6) added in.
      const normBuffers = (residual) => [[0, 0, 1, 4, 2, 2], [0, 8, 0, 1, 2, 2], [0, 10, 0, 1, 2, 2], [0, 12, 1, 4, 2, 2], [0, 20, 0, 1, 2, 2], [0, 22, 0, 1, 2, 2], residual];
      const norm = [batchNorm, 0, 1, 2, 3, 4, 5, -1, -1, -1, -1, 6, 0, 1e-3, 0.99];
      // relu, block (0: NHWC, or 8 or 16 channels), then h w kh kw oh ow sh sw pt pl pb pr
      const geometry = (oh, block = 0) => [0, block, 5, 5, 3, 3, oh, oh, 1, 1, 0, 0, 0, 0];
      const convBuffers = (yRows) => [[1, 0, 1, 25, 1, 1], [1, 1, 0, 1, 9, 9], [0, 0, 1, yRows, 1, 1]];
      const good = addon.createProgram(64, 2, [[1, 0, 1, 4, 1, 1], [0, 0, 1, 4, 1, 1], [1, 1, 1, 4, 1, 1]], [[relu, 0, 1]], [[copy, 1, 2, 0]]);
      return [
        attempt(() => addon.createProgram(16, 1, [[0, 8, 0, 1, 16, 16]], [], [])),
        attempt(() => addon.createProgram(64, 1, [], [[99]], [])),
        attempt(() => addon.createProgram(64, 1, [[0, 0, 1, 4, 1, 1]], [[relu, 0, 3]], [])),
        attempt(() => addon.createProgram(64, 1, convBuffers(16), [[conv, 0, 1, -1, 2, ...geometry(4)]], [])),
        attempt(() => addon.createProgram(64, 1, convBuffers(9), [[conv, 0, 1, -1, 0, ...geometry(3)]], [])),
        attempt(() => addon.createProgram(64, 1, convBuffers(9), [[conv, 0, 1, -1, 2, ...geometry(3, 4)]], [])),
        attempt(() => addon.createProgram(64, 1, convBuffers(9), [[conv, 0, 1, -1, 2, ...geometry(3, 8)]], [])),
        attempt(() => addon.createProgram(64, 1, [[0, 0, 1, 16, 1, 1], [0, 8, 1, 16, 1, 1]], [[copy, 0, 1, 0]], [])),
        attempt(() => addon.createProgram(64, 1, [[1, 0, 1, 4, 1, 1], [1, 0, 1, 4, 1, 1]], [], [])),
        attempt(() => addon.createProgram(64, 1, normBuffers([0, 24, 1, 2, 2, 2]), [norm], [])),
        attempt(() => addon.createProgram(64, 1, normBuffers([0, 14, 1, 4, 2, 2]), [norm], [])),
        attempt(() => addon.runProgram(good, 1, 1, [null, null])),
        attempt(() => addon.runProgram(good, 0, 3, [null, null])),
        attempt(() => addon.runProgram(good, 0, 2, [new Float32Array(4), null])),
        attempt(() => addon.runProgram(good, 0, 1, [new Float64Array(4), null])),
        attempt(() => addon.runProgram({}, 0, 1, [])),
        (() => { const x = new Float32Array([-1, 2, -3, 4]), y = new Float32Array(4);
                 addon.runProgram(good, 0, 1, [x, null]); addon.runProgram(good, 1, 1, [null, y]); return Array.from(y); })(),
      ];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual([
      'RangeError: createProgram: buffers[0] lies outside the arena',
      'RangeError: createProgram: forward[0]: unknown operation 99',
      'RangeError: createProgram: forward[0] (relu): y is not a buffer',
      'RangeError: createProgram: forward op 0 (conv): the output size does not follow from the input, filter, strides and paddings',
      'RangeError: createProgram: forward op 0 (conv): y must be [batch, 9, 1]',
      'RangeError: createProgram: forward op 0 (conv): block must be 0, 8 or 16',
      'RangeError: createProgram: forward op 0 (conv): x must be blocked by 8 channels',
      'RangeError: createProgram: forward op 0 (copy): dst overlaps src',
      'RangeError: createProgram: buffers[1]: array 0 is named twice',
      'RangeError: createProgram: forward op 0 (batchNorm): residual and y must have the same shape',
      'RangeError: createProgram: forward op 0 (batchNorm): y overlaps residual',
      'RangeError: runProgram: the backward pass runs after a forward pass at the same batch',
      "RangeError: runProgram: batch 3 is larger than the program's 2",
      'RangeError: runProgram: arrays[0] holds 4 floats where the batch needs 8',
      'TypeError: runProgram: arrays[0] must be a Float32Array',
      'RangeError: runProgram: argument 0 (program) is not a program',
      [0, 2, 0, 4],
    ]);
  });

  it("an inference program's convolutions take only the layouts oneDNN's fast kernels take, its constants are checked and kept, and a released program does not run", () => {
    const r = withAddon(`
      const ops = addon.programOperations();
      const conv = ops.convInference[0], relu = ops.relu[0];
      // [relu, blockIn, blockOut (0, 8 or 16 channels), ci, co] then h w kh kw oh ow sh sw pt pl pb pr: a 1x1 convolution over 2 x 2
      const params = (bi, bo, ci, co) => [0, bi, bo, ci, co, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0];
      const buffers = (x, y, w) => [[1, 0, 1, ...x], [1, 1, 0, 1, w, w], [0, 0, 1, ...y]];
      const good = addon.createProgram(16, 1, [[1, 0, 1, 4, 1, 1], [0, 0, 1, 4, 1, 1]], [[relu, 0, 1]], []);
      addon.releaseProgram(good);
      return [
        attempt(() => addon.createProgram(1024, 1, buffers([2, 8, 8], [4, 16, 16], 128), [[conv, 0, 1, -1, 2, ...params(16, 16, 8, 16)]], [])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [4, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(0, 16, 16, 16)]], [])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [4, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(16, 0, 16, 16)]], [])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [8, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(16, 16, 16, 16)]], [])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 8, 8], [4, 8, 8], 64), [[conv, 0, 1, -1, 2, ...params(4, 4, 8, 8)]], [])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 8, 8], [4, 16, 16], 128), [[conv, 0, 1, -1, 2, ...params(8, 16, 8, 16)]], [])),
        attempt(() => addon.runProgram(good, 0, 1, [new Float32Array(4)])),
        addon.programBytes(good),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [4, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(16, 16, 16, 16)]], [], [null, new Float32Array(255)])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [4, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(16, 16, 16, 16)]], [], [new Float32Array(64), null])),
        attempt(() => addon.createProgram(1024, 1, buffers([4, 16, 16], [4, 16, 16], 256), [[conv, 0, 1, -1, 2, ...params(16, 16, 16, 16)]], [])),
        (() => { // the filter given once as a constant: a run passes only the input; an identity filter copies it
          const w = new Float32Array(256); for (let i = 0; i < 16; i++) w[i * 16 + i] = 1;
          const p = addon.createProgram(1024, 1, [[1, 0, 1, 4, 16, 16], [1, 1, 0, 1, 256, 256], [1, 2, 1, 4, 16, 16]], [[ops.convInference[0], 0, 1, -1, 2, ...params(0, 0, 16, 16)]], [], [null, w, null]);
          w.fill(0);
          const x = Float32Array.from({ length: 64 }, (_, i) => i), y = new Float32Array(64);
          addon.runProgram(p, 0, 1, [x, null, y]);
          return Array.from(y).every((v, i) => v === i);
        })(),
      ];`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual([
      "RangeError: createProgram: forward op 0 (convInference): blocked activations need a multiple of their block's channels",
      'RangeError: createProgram: forward op 0 (convInference): blockIn must equal blockOut, or be 0 for a one-channel source',
      'RangeError: createProgram: forward op 0 (convInference): blockIn must equal blockOut, or be 0 for a one-channel source',
      'RangeError: createProgram: forward op 0 (convInference): y must be [batch, 4, 16]',
      'RangeError: createProgram: forward op 0 (convInference): blockIn must be 0, 8 or 16',
      'RangeError: createProgram: forward op 0 (convInference): blockIn must equal blockOut, or be 0 for a one-channel source',
      'RangeError: runProgram: the program was released',
      0,
      'RangeError: createProgram: constants[1] holds 255 floats where its buffer holds 256',
      'RangeError: createProgram: constants[0]: only an unbatched array can be a constant',
      "RangeError: createProgram: forward op 0 (convInference): w must be one of the program's constants",
      true,
    ]);
  });

  it("signals during oneDNN's sgemm do not corrupt the heap (a V8 CPU profile of dense products)", () => {
    // oneDNN's generated sgemm kernels point rsp into the heap; a signal handled mid-product wrote its frame there
    // (uxlfoundation/oneDNN#4845). The profiler signals the main thread every 100 us: before the addon blocked
    // asynchronous signals during its calls, this died with "corrupted size vs. prev_size" (or V8's profiler failed
    // a check) in every run.
    const dir = mkdtempSync(path.join(tmpdir(), 'se-cpuprof-'));
    try {
      const r = withAddon(
        `const a = new Float32Array(64 * 3136).fill(0.5), b = new Float32Array(3136 * 128).fill(0.25), out = new Float32Array(64 * 128);
         for (let i = 0; i < 300; i++) addon.batchMatMul(a, b, out, [1, 1, 64, 128, 3136], false, false, null, false);
         return out[0];`,
        ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir],
      );
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(r.result).toBe(3136 * 0.125);
      expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after all of these the addon still computes: the process survived each', () => {
    const r = withAddon(`${conv(4)}
      attempt(() => addon.conv2dForward(shape, x, w, null, y, false));
      attempt(() => addon.unary(0, new Int32Array(3), new Float32Array(3), 0));
      const good = [1, 5, 5, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0], out = new Float32Array(9);
      addon.conv2dForward(good, x, w, null, out, false);
      return Array.from(out);`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual(new Array(9).fill(9));
  });
});
