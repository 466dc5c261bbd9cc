import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const LIBRARY = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;

/** Runs an ES module script in a fresh node; a script the event loop keeps alive is killed after 90 s (status null). */
function runScript(source: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL' });
}

describe('the wasm thread pool never keeps a script alive', () => {
  it('a script on 2 wasm threads (and on auto) exits on its own once its work is done; releaseBackend frees everything and a backend starts again', () => {
    const r = runScript(`
      import * as tf from '@tensorflow/tfjs-core';
      import * as se from ${JSON.stringify(LIBRARY)};
      const conv = () => tf.tidy(() => tf.sum(tf.conv2d(tf.ones([4, 16, 16, 8]), tf.ones([3, 3, 8, 8]), 1, 'same')).dataSync()[0]);
      const first = await se.useBackend('auto', { threads: 2 });
      const a = conv();
      const left = tf.ones([3]);
      se.releaseBackend();
      const second = await se.useBackend('wasm', { threads: 2 });
      const tensors = tf.memory().numTensors;
      console.log(JSON.stringify({ first: se.describeChoice(first), second: se.describeChoice(second), a, b: conv(), tensors }));
    `);
    expect(r.signal).toBeNull(); // not killed by the timeout: it exited by itself
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { first: string; second: string; a: number; b: number; tensors: number };
    // auto picks wasm here when no tfjs-node or GPU is found; either way the second start is wasm with its 2 threads
    expect(out.second).toBe('backend wasm (2 threads)');
    // ones through a 3x3 'same' convolution: along each axis the windows hold 2 + 14 x 3 + 2 = 46 taps of the image
    expect(out.a).toBe(4 * 8 * 8 * 46 * 46);
    expect(out.b).toBe(out.a);
    // the tensor left undisposed went with the released engine
    expect(out.tensors).toBe(0);
  });
});
