import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildSync } from 'esbuild';

/**
 * Builds dist/ and the browser page dist/web/ (vite) once before the tests, so tests run what users run. `npm test`
 * has type-checked the sources already (tsc, with isolatedModules: every file compiles alone), so dist/ is
 * transpiled file by file with esbuild instead of type-checked a second time by tsc; `npm run build` uses tsc. dist/
 * is emptied first, so no file left from an earlier layout of src/ can stand in for a missing one.
 */
export default function setup(): void {
  rmSync('dist', { recursive: true, force: true });
  buildSync({ entryPoints: ['src/**/*.ts'], outdir: 'dist', outbase: 'src', format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' });
  const require = createRequire(import.meta.url);
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
}
