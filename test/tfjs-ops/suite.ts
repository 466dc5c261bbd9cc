// TensorFlow.js's own op test suite (the *_test.js files that @tensorflow/tfjs-core ships in dist/, listed by its
// dist/tests.js) run with jasmine against one backend, set up as tfjs-backend-cpu's run_tests does it: its jasmine_util
// test environment, its one exclusion, nothing else. scripts/tfjs-ops.mjs bundles this file with esbuild (the test
// files import without extensions) and runs the bundle, once per backend: `node suite.mjs native`.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { setTestEnvs, setupTestFilters } from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import { createRequire } from 'node:module';
import { loadNativeAddon } from '../../src/backend/native/addon.js';
import { registerNativeBackend } from '../../src/backend/native/nativeBackend.js';

/** The counts the run ends with; the runner reads the last line, `tfjs-ops {json}`. */
export interface SuiteCounts {
  backend: string;
  defined: number;
  passed: number;
  failed: number;
  excluded: number;
  pending: number;
  /** Failures outside any spec (a suite's beforeAll or afterAll). */
  suiteErrors: number;
  failures: string[];
  seconds: number;
}

/** tfjs-backend-cpu's only exclusion (src/run_tests.ts): its web-worker test. */
const excludedByCpu = (name: string): boolean => name.includes('computation in worker');

interface SpecResult {
  fullName: string;
  status: 'passed' | 'failed' | 'excluded' | 'pending';
  failedExpectations: { message: string }[];
}

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'native';
  if (backend === 'native') {
    const load = loadNativeAddon();
    if (!load.ok) throw new Error(`the native backend is not available: ${load.reason}`);
    registerNativeBackend(load.addon);
    load.addon.setThreads(2);
  } else if (backend !== 'cpu') {
    throw new Error(`unknown backend '${backend}' (expected cpu or native)`);
  }
  const require = createRequire(import.meta.url);
  const Jasmine = require('jasmine') as new () => {
    env: { addReporter(r: object): void; configure(c: object): void };
    exitOnCompletion: boolean;
    clearReporters(): void;
    addReporter(r: object): void;
    execute(): Promise<{ overallStatus: string }>;
  };
  const runner = new Jasmine(); // installs jasmine's globals, which the test files call as they load
  runner.exitOnCompletion = false;
  runner.env.configure({ random: false });
  setTestEnvs([{ name: backend, backendName: backend, isDataSync: true }]);
  setupTestFilters([], (name) => !excludedByCpu(name));
  await import('@tensorflow/tfjs-core/dist/tests.js');

  const started = Date.now();
  const counts: SuiteCounts = { backend, defined: 0, passed: 0, failed: 0, excluded: 0, pending: 0, suiteErrors: 0, failures: [], seconds: 0 };
  runner.clearReporters();
  runner.addReporter({
    specDone(result: SpecResult) {
      counts.defined++;
      counts[result.status]++;
      if (result.status === 'failed') {
        const message = result.failedExpectations.map((e) => e.message.split('\n')[0]).join('; ');
        counts.failures.push(`${result.fullName}: ${message}`);
        console.log(`FAILED ${result.fullName}\n  ${message}`);
      }
    },
    suiteDone(result: { fullName: string; failedExpectations: { message: string }[] }) {
      if (result.failedExpectations.length === 0) return;
      counts.suiteErrors++;
      counts.failures.push(`${result.fullName}: ${result.failedExpectations[0]!.message.split('\n')[0]}`);
      console.log(`SUITE ERROR ${result.fullName}\n  ${result.failedExpectations[0]!.message.split('\n')[0]}`);
    },
  });
  const done = await runner.execute();
  counts.seconds = (Date.now() - started) / 1000;
  console.log(`tfjs-ops ${JSON.stringify(counts)}`);
  process.exitCode = counts.failed === 0 && counts.suiteErrors === 0 && done.overallStatus === 'passed' ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 2;
});
