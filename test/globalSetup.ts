import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** Builds dist/ once before the tests, so CLI tests run the same program users run. */
export default function setup(): void {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
