import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestSplit, EMBEDDED_FASHION_MNIST_DIR } from '../src/data/loadIdxDataset.js';
import { loadTestSet, resolveDataSource } from '../src/data/source.js';
import { writeRunRecord } from '../src/run/runRecord.js';
import { serveRun, type RunServer } from '../src/serve/server.js';
import type { TestImagesResponse } from '../src/serve/testImages.js';
import type { TestRowsResponse } from '../src/serve/testRows.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { syntheticRecord } from './helpers/syntheticRun.js';
import type { DataRecord, RunRecord } from '../src/schema/run.js';

interface Reply {
  status: number;
  type: string;
  body: string;
}

/** A request with the target sent exactly as written (no URL normalisation on our side). */
function get(server: RunServer, target: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve: the run and the page over HTTP, nothing else', () => {
  let server: RunServer;
  let root: string;
  let runDir: string;
  const SECRET = 'secret-outside-the-run';

  beforeAll(async () => {
    root = tempDir('se-serve-');
    runDir = path.join(root, 'run');
    const pageDir = path.join(root, 'page');
    mkdirSync(path.join(runDir, 'snapshots', '1'), { recursive: true });
    mkdirSync(path.join(runDir, 'snapshots', '2'), { recursive: true });
    mkdirSync(path.join(pageDir, 'assets'), { recursive: true });
    writeRunRecord(runDir, syntheticRecord({ totalSteps: 20, cycles: 2, perEpoch: 10, numClasses: 10 }));
    writeFileSync(path.join(runDir, 'snapshots', '1', 'model.json'), '{"modelTopology":{}}');
    writeFileSync(path.join(pageDir, 'index.html'), '<!DOCTYPE html><title>page</title>');
    writeFileSync(path.join(pageDir, 'assets', 'app.js'), 'export {};');
    writeFileSync(path.join(root, 'secret.txt'), SECRET);
    symlinkSync(path.join(root, 'secret.txt'), path.join(runDir, 'link.txt'));
    symlinkSync(root, path.join(runDir, 'up'));
    server = await serveRun({ runDir, pageDir, port: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('listens on the loopback address by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it("serves the page, the run's record and its snapshot files with the right types", async () => {
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>page</title>');
    expect((await get(server, '/assets/app.js')).type).toMatch(/^text\/javascript/);
    const run = await get(server, '/run/run.json');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body).totalSteps).toBe(20);
    expect((await get(server, '/run/snapshots/1/model.json')).body).toBe('{"modelTopology":{}}');
    expect((await get(server, '/run/snapshots/1/weights.bin')).status).toBe(404);
    expect((await get(server, '/run/snapshots')).status).toBe(404);
  });

  it('refuses every path that leaves the run or page directory', async () => {
    const attempts = [
      '/run/../secret.txt',
      '/run/../../etc/passwd',
      '/run/%2e%2e/secret.txt',
      '/run/..%2fsecret.txt',
      '/run/..%5csecret.txt',
      '/run/snapshots/%2e%2e/%2e%2e/%2e%2e/secret.txt',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/run/link.txt',
      '/run/up/secret.txt',
      '/run/%00',
      '/run/%zz',
      '//etc/passwd',
    ];
    for (const target of attempts) {
      const reply = await get(server, target);
      expect([400, 403, 404], target).toContain(reply.status);
      expect(reply.body, target).not.toContain(SECRET);
    }
    expect((await get(server, '/run/../secret.txt')).status).toBe(403);
    expect((await get(server, '/run/link.txt')).status).toBe(403);
    // a name that merely starts with two dots is inside
    writeFileSync(path.join(runDir, '..notes.txt'), 'inside');
    expect(await get(server, '/run/..notes.txt')).toMatchObject({ status: 200, body: 'inside' });
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    expect((await get(server, '/run/run.json', 'GET', { Host: 'evil.example' })).status).toBe(403);
    expect((await get(server, '/run/run.json', 'GET', { Host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get(server, '/run/run.json', 'GET', { Host: `localhost:${server.port}` })).status).toBe(200);
    expect((await get(server, '/run/run.json', 'GET', { Host: `127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('answers only GET and HEAD', async () => {
    expect((await get(server, '/run/run.json', 'POST')).status).toBe(405);
    expect((await get(server, '/run/run.json', 'DELETE')).status).toBe(405);
    const head = await get(server, '/run/run.json', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it("hands out the first images of the run's test split, byte for byte", async () => {
    const reply = await get(server, '/api/test-images?count=5');
    expect(reply.status).toBe(200);
    const r = JSON.parse(reply.body) as TestImagesResponse;
    const test = loadTestSplit(EMBEDDED_FASHION_MNIST_DIR, 30, 10);
    expect([r.count, r.height, r.width, r.channels]).toEqual([5, 28, 28, 1]);
    expect(r.labels).toEqual(Array.from(test.labels.subarray(0, 5)));
    expect(Buffer.from(r.images, 'base64').equals(Buffer.from(test.images.subarray(0, 5 * 784)))).toBe(true);
    expect((await get(server, '/api/test-images?count=0')).status).toBe(400);
    expect((await get(server, '/api/test-images?count=abc')).status).toBe(400);
  });

  it('has no table rows to give: the run takes images', async () => {
    const reply = await get(server, '/api/test-rows?count=5');
    expect(reply).toMatchObject({ status: 404, body: 'this run takes 28x28x1 images: its test examples are at /api/test-images\n' });
  });

  it('the serve command refuses a port already in use with a one-line error', () => {
    const r = runCli(['serve', runDir, '--port', String(server.port)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([`error: port ${server.port} on 127.0.0.1 is in use; choose another with --port`]);
  });
});

describe('serve checks the snapshots against run.json before serving them', () => {
  it('refuses a run with a damaged or missing snapshot, or with none, naming the file', async () => {
    const root = tempDir('se-serve-bad-');
    const runDir = path.join(root, 'run');
    const pageDir = path.join(root, 'page');
    mkdirSync(pageDir);
    writeFileSync(path.join(pageDir, 'index.html'), '<!DOCTYPE html><title>page</title>');
    const record = syntheticRecord({ totalSteps: 20, cycles: 2, perEpoch: 10, numClasses: 10 });
    const body = '{"modelTopology":{}}';
    const sha = createHash('sha256').update(body).digest('hex');
    for (const s of record.snapshots) {
      mkdirSync(path.join(runDir, s.path), { recursive: true });
      writeFileSync(path.join(runDir, s.path, 'model.json'), body);
      s.sha256 = { 'model.json': sha };
    }
    writeRunRecord(runDir, record);
    const ok = await serveRun({ runDir, pageDir, port: 0 });
    await ok.close();
    writeFileSync(path.join(runDir, record.snapshots[1]!.path, 'model.json'), body.replace('{}', '{"x":1}'));
    await expect(serveRun({ runDir, pageDir, port: 0 })).rejects.toThrow(
      `${path.join(runDir, record.snapshots[1]!.path, 'model.json')}: damaged (sha256 differs from run.json; snapshot 2)`,
    );
    rmSync(path.join(runDir, record.snapshots[1]!.path), { recursive: true });
    await expect(serveRun({ runDir, pageDir, port: 0 })).rejects.toThrow(`${path.join(runDir, record.snapshots[1]!.path)}: missing snapshot 2`);
    writeRunRecord(runDir, { ...record, snapshots: [] });
    await expect(serveRun({ runDir, pageDir, port: 0 })).rejects.toThrow('the run has no snapshots yet; nothing to serve');
  });
});

describe('serve and report from the command line: bad input', () => {
  it('one-line errors for a directory that is not a run, a report name that is not HTML, a bad port', () => {
    const notRun = tempDir();
    for (const args of [['serve', notRun, '--port', '0'], ['report', notRun]]) {
      const r = runCli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*not a run directory \(no run\.json\)/)]);
    }
    const json = runCli(['report', notRun, '--out', path.join(notRun, 'run.json')]);
    expect(json.code).not.toBe(0);
    expect(json.stderr).toMatch(/^error: .*run\.json: the report is an HTML page/);
    const port = runCli(['serve', notRun, '--port', '70000']);
    expect(port.stderr).toMatch(/^error: .*--port/);
  });
});

/** A run directory holding `data` as its run.json's data record, with empty snapshot directories (nothing is loaded). */
function runWith(data: Partial<DataRecord>, config: Partial<RunRecord['config']> = {}): string {
  const runDir = path.join(tempDir('se-serve-data-'), 'run');
  const record = syntheticRecord({ totalSteps: 20, cycles: 2, perEpoch: 10, numClasses: 3 });
  for (const s of record.snapshots) mkdirSync(path.join(runDir, s.path), { recursive: true });
  writeRunRecord(runDir, { ...record, config: { ...record.config, ...config }, data: { ...record.data, ...data } });
  return runDir;
}

const PAGE_DIR = path.join(ROOT, 'dist', 'web');

describe("serve: a table run's test rows, as numbers", () => {
  const wine = path.join(ROOT, 'data', 'tables', 'wine.csv');
  const features = ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols', 'flavanoids', 'nonflavanoid_phenols', 'proanthocyanins', 'color_intensity', 'hue', 'od280_od315_of_diluted_wines', 'proline'];
  const source = { ...resolveDataSource({ data: wine, label: 'cultivar' }), features } as DataRecord['source'] & { kind: 'csv' };

  it('serves the first rows of the split the run was tested on, every value the float32 the models are given', async () => {
    const runDir = runWith(
      { name: 'wine', trainExamples: 142, testExamples: 36, inputShape: [1, 1, 13], exampleShape: [13], values: 'numbers', source, normalization: { mean: 0, std: 1 } },
      { trainSize: null, testSize: null },
    );
    const server = await serveRun({ runDir, pageDir: PAGE_DIR, port: 0 });
    try {
      const reply = await get(server, '/api/test-rows?count=5');
      expect(reply.status, reply.body).toBe(200);
      expect(reply.type).toMatch(/^application\/json/);
      const r = JSON.parse(reply.body) as TestRowsResponse;
      const test = await loadTestSet(source);
      expect(r.count).toBe(5);
      expect(r.features).toEqual(features);
      expect(r.indices).toEqual([0, 1, 2, 3, 4]);
      expect(r.labels).toEqual(Array.from(test.labels.subarray(0, 5)));
      expect(r.rows.map((row) => row.length)).toEqual([13, 13, 13, 13, 13]);
      expect(r.rows.flat()).toEqual(Array.from(test.images.subarray(0, 5 * 13)));
      // all 36 test rows when more are asked for; the same bounds on count as for images
      expect((JSON.parse((await get(server, '/api/test-rows?count=1000')).body) as TestRowsResponse).count).toBe(36);
      expect((await get(server, '/api/test-rows?count=0')).status).toBe(400);
      expect(await get(server, '/api/test-images?count=5')).toMatchObject({ status: 404, body: 'this run takes rows of a table: its test examples are at /api/test-rows\n' });
    } finally {
      await server.close();
    }
  });

  it("a regression run's rows carry their targets", async () => {
    const diabetes = path.join(ROOT, 'data', 'tables', 'diabetes.csv');
    const spec = { ...resolveDataSource({ data: diabetes, label: 'progression', task: 'regression' }), features: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'] };
    const runDir = runWith(
      { name: 'diabetes', trainExamples: 354, testExamples: 88, inputShape: [1, 1, 10], exampleShape: [10], values: 'numbers', source: spec, task: 'regression', numClasses: 1, classNames: ['progression'] },
      { trainSize: null, testSize: null },
    );
    const server = await serveRun({ runDir, pageDir: PAGE_DIR, port: 0 });
    try {
      const r = JSON.parse((await get(server, '/api/test-rows?count=3')).body) as TestRowsResponse;
      const test = await loadTestSet(spec);
      expect(r.labels).toEqual(Array.from(test.labels.subarray(0, 3)));
      expect(r.labels.every((y) => y > 20 && Number.isInteger(y))).toBe(true);
      expect(r.rows.flat()).toEqual(Array.from(test.images.subarray(0, 30)));
    } finally {
      await server.close();
    }
  });

  it('a run whose examples were given in memory: serves the page and the run, and says why there are no test examples', async () => {
    const table = runWith({ name: 'points', inputShape: [1, 1, 4], exampleShape: [4], values: 'numbers', source: { kind: 'memory', name: 'points' } });
    const images = runWith({ name: 'patterns', inputShape: [8, 8, 1], values: 'bytes', source: { kind: 'memory', name: 'patterns' } });
    for (const [runDir, endpoint, name] of [[table, 'test-rows', 'points'], [images, 'test-images', 'patterns']] as const) {
      const server = await serveRun({ runDir, pageDir: PAGE_DIR, port: 0 });
      try {
        expect((await get(server, '/run/run.json')).status).toBe(200);
        expect((await get(server, '/')).status).toBe(200);
        expect(await get(server, `/api/${endpoint}?count=5`)).toMatchObject({
          status: 404,
          body: `the run's examples ('${name}') were given in memory, so the server cannot read its test split\n`,
        });
      } finally {
        await server.close();
      }
    }
  });
});
