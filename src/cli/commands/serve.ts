import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, serveRun } from '../../serve/server.js';
import { integer } from '../parsers.js';

/** The browser page built by `npm run build` (vite) next to the compiled program: dist/web/. */
export const PAGE_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

interface ServeFlags {
  port: number;
  host: string;
}

/** Resolves on the first SIGINT or SIGTERM. */
function interrupted(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function serveCommand(): Command {
  return new Command('serve')
    .description("serve a page that runs the run's snapshots in the browser (TF.js: webgl, else wasm, else cpu)")
    .argument('<run-dir>', 'a directory written by train')
    .option('--port <p>', 'TCP port (0 picks a free one)', integer(0, 65535), DEFAULT_PORT)
    .option('--host <address>', 'address to listen on (loopback only by default)', DEFAULT_HOST)
    .action(async (runDir: string, flags: ServeFlags) => {
      const server = await serveRun({ runDir, pageDir: PAGE_DIR, host: flags.host, port: flags.port });
      process.stdout.write(`serving ${runDir} at ${server.url} (Ctrl-C to stop)\n`);
      await interrupted();
      await server.close();
    });
}
