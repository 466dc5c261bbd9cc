import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { firstLine } from '../util/errors.js';
import { loadNativeAddon } from './native/addon.js';

/** What a probe found: whether the engine can be used, and a one-line reason either way. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
  /** webgpu only: whether Dawn found an adapter at all, software ones included (ok needs a hardware one). */
  adapter?: boolean;
}

/** The questions `auto` asks, injectable so tests can answer them. */
export interface BackendProbes {
  /** Can @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node be imported (libtensorflow present)? */
  tensorflow(): Promise<ProbeResult>;
  /** Is there a hardware GPU adapter that WebGPU (the npm `webgpu` package, Dawn) can use? */
  webgpu(): Promise<ProbeResult>;
  /** Does our oneDNN addon (native/) load? */
  native(): Promise<ProbeResult>;
}

export const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const require = createRequire(import.meta.url);


/** The first of tfjs-node-gpu, tfjs-node that is installed, or null. Resolving does not load libtensorflow. */
export function installedTfjsNode(): string | null {
  for (const name of TFJS_NODE_PACKAGES) {
    try {
      require.resolve(name);
      return name;
    } catch {
      // not installed
    }
  }
  return null;
}

/** Imports tfjs-node (which loads libtensorflow and registers the 'tensorflow' backend); the reason on failure. */
export async function probeTensorflow(): Promise<ProbeResult> {
  const name = installedTfjsNode();
  if (name === null) return { ok: false, detail: `${TFJS_NODE_PACKAGES.join(' and ')} are not installed` };
  try {
    await import(name);
    return { ok: true, detail: `${name} imported` };
  } catch (e) {
    return { ok: false, detail: `${name} is installed but cannot be imported: ${firstLine(e)}` };
  }
}

/** Dawn refuses to start without XDG_RUNTIME_DIR; give it the temp directory when it is unset. */
export function dawnEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.XDG_RUNTIME_DIR ? env : { ...env, XDG_RUNTIME_DIR: os.tmpdir() };
}

/**
 * The adapter probe, run in a child process: Dawn writes its warnings straight to stderr and a broken driver can
 * crash the process that loads it, so the process that trains only loads Dawn once a GPU is known to be there.
 * Prints one JSON line: { ok, detail }.
 */
const adapterProbe = (webgpuUrl: string): string => `
const { create } = await import(${JSON.stringify(webgpuUrl)});
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
let result;
if (adapter === null) {
  result = { ok: false, adapter: false, detail: 'Dawn found no WebGPU adapter' };
} else {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(name);
  result = software ? { ok: false, adapter: true, detail: 'only a software adapter: ' + name } : { ok: true, adapter: true, detail: name };
}
process.stdout.write(JSON.stringify(result) + '\\n');
process.exit(0);
`;

/** Is the npm `webgpu` package installed? */
export function webgpuInstalled(): boolean {
  try {
    require.resolve('webgpu');
    require.resolve('@tensorflow/tfjs-backend-webgpu');
    return true;
  } catch {
    return false;
  }
}

export async function probeWebGpu(): Promise<ProbeResult> {
  if (!webgpuInstalled()) return { ok: false, adapter: false, detail: 'the optional packages webgpu and @tensorflow/tfjs-backend-webgpu are not installed' };
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', adapterProbe(pathToFileURL(require.resolve('webgpu')).href)], {
    encoding: 'utf8',
    timeout: 30_000,
    env: dawnEnvironment(),
    cwd: process.cwd(),
  });
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as ProbeResult;
    if (typeof parsed.ok === 'boolean' && typeof parsed.detail === 'string') return parsed;
  } catch {
    // fall through
  }
  const why = child.error?.message ?? child.stderr?.trim().split('\n').find((l) => l.trim() !== '') ?? `exit code ${child.status}`;
  return { ok: false, adapter: false, detail: `the WebGPU adapter probe failed: ${why}` };
}

/** Loads the native addon (in this process: a failed dlopen is an exception, not a crash); the reason on failure. */
export async function probeNative(): Promise<ProbeResult> {
  const load = loadNativeAddon();
  if (!load.ok) return { ok: false, detail: load.reason };
  const v = load.addon.version();
  return { ok: true, detail: `oneDNN ${v.major}.${v.minor}.${v.patch}` };
}

export const DEFAULT_PROBES: BackendProbes = { tensorflow: probeTensorflow, webgpu: probeWebGpu, native: probeNative };
