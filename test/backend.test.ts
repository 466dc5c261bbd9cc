import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { autoChoice, describeChoice, useBackend } from '../src/backend/backends.js';
import { availableCores } from '../src/backend/wasmNode.js';
import { nativeLoad } from './helpers/native.js';
import { installedTfjsNode, probeNative, probeTensorflow, probeWebGpu, type BackendProbes, type ProbeResult } from '../src/backend/probes.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const yes = (detail: string): ProbeResult => ({ ok: true, detail });
const no = (detail: string): ProbeResult => ({ ok: false, detail });

function probes(tensorflow: ProbeResult, webgpu: ProbeResult, native: ProbeResult = no('addon not built')): BackendProbes & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    tensorflow: async () => (asked.push('tensorflow'), tensorflow),
    native: async () => (asked.push('native'), native),
    webgpu: async () => (asked.push('webgpu'), webgpu),
  };
}

describe('--backend auto', () => {
  it('picks tensorflow when tfjs-node imports, else native when its addon loads, else webgpu on a hardware adapter, else wasm, and says why', () => {
    const noNative = no('addon not built');
    expect(autoChoice({ tensorflow: yes('@tensorflow/tfjs-node imported'), native: yes('oneDNN 2.6.3'), webgpu: yes('NVIDIA') }).backend).toBe('tensorflow');
    const native = autoChoice({ tensorflow: no('not installed'), native: yes('oneDNN 2.6.3'), webgpu: yes('NVIDIA') });
    expect(native).toEqual({ backend: 'native', reason: 'auto: oneDNN 2.6.3; not tensorflow (not installed)' });
    const gpu = autoChoice({ tensorflow: no('not installed'), native: noNative, webgpu: yes('NVIDIA H200') });
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.reason).toMatch(/NVIDIA H200.*not installed.*not native \(addon not built\)/);
    const wasm = autoChoice({ tensorflow: no('not installed'), native: noNative, webgpu: no('only a software adapter: llvmpipe') });
    expect(wasm).toEqual({ backend: 'wasm', reason: 'auto: not tensorflow (not installed); not native (addon not built); not webgpu (only a software adapter: llvmpipe)' });
  });

  it('runs wasm when neither probe succeeds, without asking for a GPU once tensorflow is found', async () => {
    const p = probes(no('tfjs-node is not installed'), no('Dawn found no WebGPU adapter'));
    const choice = await useBackend('auto', { probes: p, threads: 1 });
    expect(p.asked).toEqual(['tensorflow', 'native', 'webgpu']);
    expect(choice).toMatchObject({ requested: 'auto', backend: 'wasm', wasm: { threads: 1, fallbackReason: null } });
    expect(tf.getBackend()).toBe('wasm');
    expect(describeChoice(choice)).toBe(
      'backend wasm (1 thread) [auto: not tensorflow (tfjs-node is not installed); not native (addon not built); not webgpu (Dawn found no WebGPU adapter)]',
    );
  });

  it.skipIf(installedTfjsNode() !== null)('falls back to wasm, saying so, when the engine a probe promised does not start', async () => {
    const p = probes(yes('pretend tfjs-node imported'), no('unused'));
    const choice = await useBackend('auto', { probes: p, threads: 1 });
    expect(p.asked).toEqual(['tensorflow']);
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toMatch(/tensorflow failed to start \(the tensorflow backend is not available: .*not installed\), so wasm/);
  });

  it('probes the real machine: each answer is a yes or a no with a reason', async () => {
    for (const result of [await probeTensorflow(), await probeWebGpu(), await probeNative()]) {
      expect(typeof result.ok).toBe('boolean');
      expect(result.detail.length).toBeGreaterThan(0);
    }
    if (installedTfjsNode() === null) expect((await probeTensorflow()).detail).toMatch(/not installed/);
  });

  it('caps native threads at the cores and says so; the cpu backend says it ignores --threads', async () => {
    const cores = availableCores();
    if (nativeLoad.ok) {
      const native = await useBackend('native', { threads: cores + 62 });
      expect(native.native).toEqual({ threads: cores, requested: cores + 62, fallbackReason: `this machine has ${cores} core${cores === 1 ? '' : 's'}` });
      expect(describeChoice(native)).toContain(`fewer native threads than asked (${cores + 62}): this machine has ${cores} core`);
      expect(nativeLoad.addon.getThreads()).toBe(cores);
    }
    expect(describeChoice(await useBackend('cpu', { threads: 4 }))).toBe('backend cpu; the cpu backend runs one JavaScript thread; --threads is for native and wasm');
    expect(describeChoice(await useBackend('cpu'))).toBe('backend cpu');
  });

  it('rejects unknown backends and thread counts', async () => {
    await expect(useBackend('gpu' as never)).rejects.toThrow(/unknown backend 'gpu'/);
    await expect(useBackend('wasm', { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});

/** Runs a few training steps in a fresh process (the wasm thread pool is fixed once started). */
function stepsInProcess(threads: number, prelude = ''): { threads: number; fallbackReason: string | null; losses: number[] } {
  const script = `
    ${prelude}
    import * as tf from '@tensorflow/tfjs-core';
    import { useBackend, buildModel, SgdOptimizer } from './dist/index.js';
    const choice = await useBackend('wasm', { threads: ${threads} });
    const model = buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10 }, 1);
    const optimizer = new SgdOptimizer({ learningRate: 0.05 });
    const variables = model.trainableWeights.map((w) => w.read());
    const x = tf.randomNormal([16, 28, 28, 1], 0, 1, 'float32', 4);
    const y = tf.oneHot(tf.tensor1d([...Array(16).keys()].map((i) => i % 10), 'int32'), 10);
    const losses = [];
    for (let i = 0; i < 3; i++) {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), variables);
        optimizer.applyGradients(grads);
        return value;
      });
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    process.stdout.write(JSON.stringify({ ...choice.wasm, losses }) + '\\n');
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('multi-threaded wasm in Node', () => {
  it('starts two threads, and trains exactly as one thread does', () => {
    const one = stepsInProcess(1);
    const two = stepsInProcess(2);
    expect(one).toMatchObject({ threads: 1, fallbackReason: null });
    expect(two).toMatchObject({ threads: 2, fallbackReason: null });
    // XNNPACK splits work by output tiles, so every sum runs in the same order on any number of threads.
    expect(two.losses).toEqual(one.losses);
    expect(one.losses[2]).not.toBe(one.losses[0]);
  });

  it('falls back to one thread, saying why, where the runtime has no shared memory', () => {
    const without = stepsInProcess(2, 'delete globalThis.SharedArrayBuffer;');
    expect(without).toMatchObject({ threads: 1, fallbackReason: 'SharedArrayBuffer is not available' });
    expect(without.losses).toEqual(stepsInProcess(1).losses);
  });
});

describe('the --backend and --threads flags', () => {
  it('say which backend runs; bad values are a one-line error', () => {
    const bad = runCli(['evaluate', 'nowhere', '--backend', 'gpu']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: .*--backend.*gpu.*auto, native, wasm, cpu, tensorflow, webgpu/);
    const missing = installedTfjsNode() === null ? runCli(['evaluate', 'nowhere', '--backend', 'tensorflow']) : null;
    if (missing !== null) expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: the tensorflow backend is not available: .*not installed$/)]);
    const threads = runCli(['evaluate', 'nowhere', '--threads', '0']);
    expect(threads.code).not.toBe(0);
    expect(threads.stderr).toMatch(/^error: .*--threads/);
  });

  it('train names the backend and its threads before it starts', () => {
    const out = tempDir();
    const r = runCli(['train', '--train-size', '64', '--test-size', '20', '--epochs', '1', '--cycles', '1', '--out', out, '--backend', 'wasm', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('backend wasm (1 thread)');
  });
});
