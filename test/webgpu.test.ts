import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dawnEnvironment, probeWebGpu } from '../src/backend/probes.js';
import { ROOT, runCli } from './helpers/cli.js';

// Dawn (the npm `webgpu` package) needs a Vulkan driver it accepts: a GPU's, or a software one recent enough.
// Debian 12's Mesa lavapipe (22.3) lacks shaderUniform*ArrayDynamicIndexing, which Dawn requires, so on such a
// machine there is no adapter and this test is skipped, saying so.
const probe = await probeWebGpu();
const adapterFound = probe.adapter === true;

describe('the webgpu backend in Node', () => {
  it.skipIf(!adapterFound)(`computes convolution gradients as the cpu backend does (${probe.detail})`, () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import { useBackend } from './dist/index.js';
      const run = async (backend) => {
        await useBackend(backend);
        const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
        const g = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same'))))([x, w]);
        return Promise.all(g.map((t) => t.data()));
      };
      const gpu = await run('webgpu');
      const cpu = await run('cpu');
      let worst = 0;
      gpu.forEach((a, i) => {
        let scale = 0, diff = 0;
        for (let j = 0; j < a.length; j++) { scale = Math.max(scale, Math.abs(cpu[i][j])); diff = Math.max(diff, Math.abs(a[j] - cpu[i][j])); }
        worst = Math.max(worst, diff / scale);
      });
      process.stdout.write(JSON.stringify({ backend: tf.getBackend(), worst }) + '\\n');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: dawnEnvironment() });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const { worst } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { worst: number };
    expect(worst).toBeLessThan(1e-4);
  });

  it.skipIf(adapterFound)('asked for by name where Dawn finds no adapter: a one-line error, before Dawn is loaded', () => {
    const r = runCli(['evaluate', 'nowhere', '--backend', 'webgpu']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([`error: the webgpu backend is not available: ${probe.detail}`]);
  });

  it.skipIf(probe.ok)('auto told of a GPU that is not there falls back to wasm, saying why', async () => {
    const { useBackend } = await import('../src/backend/backends.js');
    const choice = await useBackend('auto', {
      threads: 1,
      probes: { tensorflow: async () => ({ ok: false, detail: 'not installed' }), native: async () => ({ ok: false, detail: 'not built' }), webgpu: async () => ({ ok: true, detail: 'pretend GPU' }) },
    });
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(/webgpu failed to start \(the webgpu backend is not available: .*\), so wasm$/);
  });
});
