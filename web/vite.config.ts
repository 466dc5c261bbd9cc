import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The browser page of `snapshot-ensembles serve`: one bundled ES module, its CSS and the TF.js wasm binaries, all local. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // TF.js is large; one chunk is what we want, so the warning says nothing useful.
    chunkSizeWarningLimit: 8000,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
