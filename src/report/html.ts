

import { evaluationRows, type MemberKind } from '../metrics/formatMetrics.js';
import type { Augmentation } from '../schema/data.js';
import type { EnsembleEvaluation } from '../schema/metrics.js';

/** Building blocks of the self-contained report page: plain strings in, HTML out. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A chart rendered to SVG, shown as a figure with a caption. */
export interface FigureHtml {
  id: string;
  caption: string;
  svg: string;
}

export interface ReportSection {
  heading: string;
  figures?: FigureHtml[];
  /** Extra HTML placed after the figures (already escaped). */
  html?: string;
}

/** An SVG document (as Vega writes it) made fit to sit inside an HTML page. */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

export function figureHtml(figure: FigureHtml): string {
  return (
    `<figure class="chart" id="${escapeHtml(figure.id)}">\n${inlineSvg(figure.svg)}\n` +
    `<figcaption>${escapeHtml(figure.caption)}</figcaption>\n</figure>`
  );
}

export function tableHtml(header: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table${className === '' ? '' : ` class="${escapeHtml(className)}"`}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export const METRIC_HEADER = ['error', 'NLL', 'ECE (15 bins)', 'Brier'] as const;

/** The metrics table: every snapshot alone, then the ensemble of the last m for every m. */
export function metricsTableHtml(evaluation: Pick<EnsembleEvaluation, 'members' | 'ensembles' | 'combine'>, kind: MemberKind = 'snapshot'): string {
  const rows = evaluationRows(evaluation, kind);
  return tableHtml(['model', ...METRIC_HEADER], rows, 'metrics');
}

/** The first settings of a run's or a comparison's page: where it stands, when, how long, on which backend. */
export function statusSettings(
  record: { status: string; error: string | null; createdAt: string; finishedAt: string | null; seconds: number | null; backend: string },
  timeLabel: string,
): [string, string][] {
  return [
    ['status', record.status + (record.error === null ? '' : ` (${record.error})`)],
    ['created', record.createdAt],
    ['finished', record.finishedAt ?? '-'],
    [timeLabel, record.seconds === null ? '-' : `${record.seconds.toFixed(1)} s`],
    ['backend', record.backend],
  ];
}

/** The augmentation a run or comparison trained with, in words. */
export function augmentationText(augmentation: Augmentation | null): string {
  return augmentation === null ? 'none' : `random crop of the image padded by ${augmentation.pad}${augmentation.flip ? ', horizontal flip' : ''}`;
}

/** A two-column table of settings. */
export function settingsTableHtml(entries: readonly (readonly [string, string])[]): string {
  const rows = entries.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n');
  return `<table class="settings">\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.summary { color: #555; margin-top: 0; }
figure.chart { margin: 12px 0; display: inline-block; vertical-align: top; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; max-width: 760px; margin-top: 4px; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.row figure.chart { max-width: 470px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child, table.settings th { text-align: left; }
table.settings td { text-align: left; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
footer { margin-top: 3em; color: #888; font-size: 0.85em; }
`;

/** One self-contained HTML document: inline CSS and SVG, no scripts, no external resources. */
export function reportDocument(options: { title: string; summary: string; sections: readonly ReportSection[]; footer: string }): string {
  const sections = options.sections
    .map((s) => {
      const figures = s.figures ?? [];
      const figuresHtml = figures.length > 1 ? `<div class="row">\n${figures.map(figureHtml).join('\n')}\n</div>` : figures.map(figureHtml).join('\n');
      return `<section>\n<h2>${escapeHtml(s.heading)}</h2>\n${figuresHtml}\n${s.html ?? ''}\n</section>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(options.title)}</h1>
<p class="summary">${escapeHtml(options.summary)}</p>
${sections}
<footer>${escapeHtml(options.footer)}</footer>
</body>
</html>
`;
}
