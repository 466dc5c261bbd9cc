import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CLI, ROOT, tempDir } from './cli.js';

/** Debian's chromium, which .ci/run installs; Playwright cannot download its own browsers here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (ignored by git). */
export const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'browser');

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** Headless chromium with a fresh profile. Fails loudly, never skips, when the browser is not installed. */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium, as .ci/run does)`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(tempDir('se-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  // Two shared cores and a software GL: give slow steps room rather than flaky failures.
  context.setDefaultTimeout(120_000);
  return context;
}

/** Console errors and uncaught exceptions of a page, collected from now on. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

/** A chart of a report page: its figure's id, how many SVG marks it drew, and its width on the page. */
export interface RenderedFigure {
  id: string;
  marks: number;
  width: number;
}

/**
 * Opens a report file in a new page, watching console errors and every request, and reads back its charts.
 */
export async function openReport(
  context: BrowserContext,
  file: string,
): Promise<{ page: Page; errors: string[]; requests: string[]; figures: RenderedFigure[] }> {
  const page = await context.newPage();
  const errors = collectErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  const figures = await page.$$eval('figure.chart', (all) =>
    all.map((f) => ({
      id: f.id,
      marks: f.querySelectorAll('svg .role-mark > *').length,
      width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
    })),
  );
  return { page, errors, requests, figures };
}

/** The CLI's serve command in the background; resolves with its URL once it listens. */
export function startServe(runDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', runDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /serving .* at (http:\/\/\S+)/.exec(out);
      if (match !== null) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err.trim()}`)));
  });
}

/** Stops a child process and resolves once it has exited. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** One row of the page's probability table: exact values from data-probability, shown values from the text. */
export async function tableRow(page: Page, selector: string): Promise<{ exact: number[]; shown: number[] }> {
  return page.$$eval(`${selector} td[data-class]`, (cells) => ({
    exact: cells.map((c) => Number((c as HTMLElement).dataset['probability'])),
    shown: cells.map((c) => Number(c.textContent!.replace('%', '')) / 100),
  }));
}

export function expectClose(actual: readonly number[], expected: ArrayLike<number>, tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, k) => expect(Math.abs(v - expected[k]!), `class ${k}: ${v} against ${expected[k]}`).toBeLessThanOrEqual(tolerance));
}
