// Runs TensorFlow.js's own op test suite (test/tfjs-ops/suite.ts) against the backends named on the command line
// (default: native), one process each, and fails when any spec fails or a process dies (a crash is a failure too).
//   node scripts/tfjs-ops.mjs [cpu] [native]        (npm run test:tfjs-ops)
// The suite is bundled with esbuild first: tfjs-core's test files import without extensions, and the bundle makes
// them, the cpu backend and ours share one tfjs-core (its ES modules, the package's "module" entry).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Three folders below the package root, as src/backend/native/addon.ts is: it finds the addon from its own URL.
const bundle = path.join(root, 'test', 'tfjs-ops', '.bundle', 'suite.mjs');

/** Bundles the suite; jasmine stays outside (it loads from node_modules, and its globals are the ones tests call). */
export async function bundleSuite() {
  mkdirSync(path.dirname(bundle), { recursive: true });
  await build({
    entryPoints: [path.join(root, 'test', 'tfjs-ops', 'suite.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['jasmine', 'jasmine-core'],
    // tfjs-core's jasmine_util and the cpu backend call require(): give the ES module bundle one.
    banner: { js: "import { createRequire as __seCreateRequire } from 'node:module'; const require = __seCreateRequire(import.meta.url);" },
    // tfjs-core's package.json marks most files free of side effects; its test files are nothing but side effects.
    ignoreAnnotations: true,
    logLevel: 'warning',
    sourcemap: 'inline',
  });
  return bundle;
}

/**
 * Runs the suite on one backend in its own process; returns its counts, or why it ended without them. The native
 * backend runs with its pool poisoned (SE_NATIVE_POISON_POOL=1: every array of every length is recycled, filled with
 * NaN), so that an output a kernel leaves unwritten, or memory handed out while a tensor still uses it, fails a spec.
 */
export function runSuite(backend) {
  const started = Date.now();
  const env = backend === 'native' ? { ...process.env, SE_NATIVE_POISON_POOL: '1' } : process.env;
  const child = spawnSync(process.execPath, ['--enable-source-maps', bundle, backend], { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (Date.now() - started) / 1000;
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  const line = output.split('\n').reverse().find((l) => l.startsWith('tfjs-ops '));
  const counts = line === undefined ? null : JSON.parse(line.slice('tfjs-ops '.length));
  return { backend, status: child.status, signal: child.signal, seconds, counts, output };
}

function report(r) {
  if (r.counts === null) {
    const tail = r.output.split('\n').slice(-15).join('\n');
    return `${r.backend}: ended without a result (exit ${r.status}, signal ${r.signal}) after ${r.seconds.toFixed(0)} s\n${tail}`;
  }
  const c = r.counts;
  const lines = [`${r.backend}: ${c.defined - c.excluded} specs run, ${c.passed} passed, ${c.failed} failed, ${c.excluded} excluded, ${c.pending} pending, ${c.suiteErrors} suite errors (${r.seconds.toFixed(0)} s)`];
  for (const f of c.failures.slice(0, 50)) lines.push(`  ${f}`);
  return lines.join('\n');
}

async function main() {
  const backends = process.argv.slice(2);
  await bundleSuite();
  let ok = true;
  for (const backend of backends.length > 0 ? backends : ['native']) {
    const r = runSuite(backend);
    console.log(report(r));
    ok &&= r.status === 0 && r.counts !== null && r.counts.failed === 0;
  }
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
