import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { runTestSet } from '../ensemble/evaluateRun.js';
import { readRunRecord, runDataSource } from '../run/runRecord.js';
import { verifySnapshot } from '../run/snapshots.js';
import { UserError } from '../util/errors.js';
import { contentType, resolveInside } from './staticFiles.js';
import { testImagesResponse } from './testImages.js';
import { featureNames, isTableRun, testRowsResponse } from './testRows.js';
import type { RunRecord } from '../schema/run.js';

/** Loopback only unless the caller asks for more. */
export const DEFAULT_HOST = '127.0.0.1';
/** The port `serve` listens on by default. */
export const DEFAULT_PORT = 8080;
/** Most test images (or table rows) one request may ask for. */
export const MAX_TEST_IMAGES = 1000;
export const DEFAULT_TEST_IMAGES = 48;

/** Which run and page to serve, and where to listen. */
export interface ServeRunOptions {
  /** A run directory written by train. */
  runDir: string;
  /** The built browser page (index.html and its assets). */
  pageDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

/** A running server: where it listens, and how to close it. */
export interface RunServer {
  /** http://host:port/ */
  url: string;
  host: string;
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether a Host header names this machine's loopback interface (with or without a port). */
function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  return isLoopback(name.toLowerCase());
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
  res.end(body);
}

function sendFile(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string): void {
  const resolved = resolveInside(root, urlPath);
  if (!('file' in resolved)) {
    send(res, resolved.status, `${resolved.reason}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': contentType(resolved.file), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(resolved.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** Why the server cannot answer /api/test-rows (rows) or /api/test-images for a run, or null when it can. */
function testSetProblem(record: RunRecord, rows: boolean): string | null {
  const source = runDataSource(record);
  if (source.kind === 'memory') return `the run's examples ('${source.name}') were given in memory, so the server cannot read its test split`;
  const table = isTableRun(record.data);
  if (rows && !table) return `this run takes ${record.data.inputShape.join('x')} images: its test examples are at /api/test-images`;
  if (!rows && table) return 'this run takes rows of a table: its test examples are at /api/test-rows';
  return null;
}

/**
 * Serves a run to the browser page: the page's files at /, the run directory's files under /run/ (run.json and
 * the snapshots, which the page loads with tf.loadLayersModel), and the first examples of the run's test split: images
 * at /api/test-images?count=N, or a table run's rows at /api/test-rows?count=N. Nothing outside the run directory and
 * the page's directory is ever served.
 */
export async function serveRun(options: ServeRunOptions): Promise<RunServer> {
  const runDir = path.resolve(options.runDir);
  const pageDir = path.resolve(options.pageDir);
  const record = readRunRecord(runDir);
  if (record.config.swag !== undefined) {
    throw new UserError(`${runDir} is a SWAG run: its members are weight samples drawn when it is evaluated, not snapshots the page can load`);
  }
  if (record.snapshots.length === 0) throw new UserError(`${runDir}: the run has no snapshots yet; nothing to serve`);
  // the page would load damaged weights without a word: check them against run.json first
  for (const snapshot of record.snapshots) {
    if (!existsSync(path.join(runDir, snapshot.path))) throw new UserError(`${path.join(runDir, snapshot.path)}: missing snapshot ${snapshot.index}`);
    verifySnapshot(runDir, snapshot);
  }
  if (!existsSync(path.join(pageDir, 'index.html'))) {
    throw new UserError(`the browser page is not built (${path.join(pageDir, 'index.html')} is missing); run npm run build`);
  }
  let testSet: ReturnType<typeof runTestSet> | undefined;
  const host = options.host ?? DEFAULT_HOST;
  const loopbackOnly = isLoopback(host);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'only GET and HEAD\n');
      return;
    }
    // A page elsewhere that rebinds its own name to 127.0.0.1 must not read the run: on loopback, only local names.
    if (loopbackOnly && !isLoopbackHostHeader(req.headers.host)) {
      send(res, 403, 'unexpected Host header\n');
      return;
    }
    // The raw target, not a normalised URL: '..' must be seen (and refused), not silently folded away.
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    const rawPath = query === -1 ? target : target.slice(0, query);
    const params = new URLSearchParams(query === -1 ? '' : target.slice(query + 1));
    if (!rawPath.startsWith('/')) {
      send(res, 400, 'bad request target\n');
      return;
    }
    if (rawPath === '/api/test-images' || rawPath === '/api/test-rows') {
      const rows = rawPath === '/api/test-rows';
      const count = params.has('count') ? Number(params.get('count')) : DEFAULT_TEST_IMAGES;
      if (!Number.isInteger(count) || count < 1 || count > MAX_TEST_IMAGES) {
        send(res, 400, `count must be an integer in 1..${MAX_TEST_IMAGES}\n`);
        return;
      }
      const problem = testSetProblem(record, rows);
      if (problem !== null) {
        send(res, 404, `${problem}\n`);
        return;
      }
      testSet ??= runTestSet(record);
      testSet
        .then((set) => JSON.stringify(rows ? testRowsResponse(set, count, featureNames(record.data)) : testImagesResponse(set, count)))
        .then(
          (body) => send(res, 200, body, 'application/json; charset=utf-8'),
          (e: unknown) => send(res, 404, `${(e as Error).message}\n`),
        );
      return;
    }
    if (rawPath === '/run' || rawPath.startsWith('/run/')) {
      sendFile(req, res, runDir, rawPath.slice('/run'.length));
      return;
    }
    sendFile(req, res, pageDir, rawPath === '/' ? '/index.html' : rawPath);
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `${(e as Error).message}\n`);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`port ${options.port ?? DEFAULT_PORT} on ${host} is in use; choose another with --port`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UserError(`cannot listen on ${host}: ${e.code}`));
      else reject(e);
    });
    server.listen(options.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? DEFAULT_PORT);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e === undefined ? resolve() : reject(e)));
        server.closeAllConnections();
      }),
  };
}
