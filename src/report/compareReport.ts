import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { readCompareResult } from '../compare/readResult.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { compareReportData } from './compareReportData.js';
import { compareReportHtml } from './compareReportHtml.js';
import { checkReportPath, REPORT_FILE, type WrittenReport } from './runReport.js';

/**
 * Writes the HTML report of a comparison directory (its compare.json, finished or still running): Table 1, each
 * row's last-m error curve against the single-model rows, every run's learning rate and loss, the members'
 * correlation and disagreement per row, and the configuration. Needs no tensors: compare.json holds every number.
 */
export async function writeCompareReport(compareDir: string, options: { out?: string } = {}): Promise<WrittenReport> {
  const out = options.out ?? path.join(compareDir, REPORT_FILE);
  checkReportPath(out);
  const result = readCompareResult(compareDir);
  const data = compareReportData(path.basename(path.resolve(compareDir)), result);
  const rendered = await compareReportHtml(data, `Written by snapshot-ensembles on ${new Date().toISOString()} from ${path.resolve(compareDir)}.`);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileAtomic(out, rendered.html);
  return { file: out, charts: rendered.charts, warnings: rendered.warnings };
}
