import type { TopLevelSpec } from 'vega-lite';
import { GREY, SCHEMA, type Chart } from './charts.js';

/** Member-by-member heatmaps (correlation and disagreement of the snapshots' outputs): pure Vega-Lite specifications. */

/** How a kind of member-by-member matrix is shown: its legend, cell format and colour scale. */
export interface HeatmapKind {
  legend: string;
  format: string;
  scale: (values: number[]) => { domain: [number, number]; scheme: string };
  /** Whether the colour scheme is dark at its high end (text there is printed white). */
  darkHigh: boolean;
}

/** Pearson correlation of softmax outputs: viridis from the lowest value to 1. */
export const CORRELATION_KIND: HeatmapKind = {
  legend: 'r',
  format: '.3f',
  scale: (values) => ({ domain: [Math.min(...values), 1], scheme: 'viridis' }),
  darkHigh: false,
};

/** Disagreement of predicted classes: blues from 0 to the highest value. */
export const DISAGREEMENT_KIND: HeatmapKind = {
  legend: 'fraction',
  format: '.1%',
  scale: (values) => ({ domain: [0, Math.max(...values, 1e-9)], scheme: 'blues' }),
  darkHigh: true,
};

/** A member-by-member matrix; null (or NaN) where a value is undefined, e.g. the correlation of a constant output. */
export type MemberMatrix = readonly (readonly (number | null)[])[];

/** The colour scale of a kind over the finite values of some matrices (all panels of one chart share it). */
export function heatmapScale(kind: HeatmapKind, matrices: readonly MemberMatrix[]): { domain: [number, number]; scheme: string } {
  const finite = matrices.flatMap((m) => m.flat()).filter((v): v is number => v !== null && Number.isFinite(v));
  return kind.scale(finite.length > 0 ? finite : [0, 1]);
}

/** Pixels a character of a 12 px title takes, at most, on average over a line of text. */
const TITLE_CHAR_WIDTH = 7;

/** Text broken into lines of at most `width` characters at spaces (a longer word gets a line of its own). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/**
 * One heatmap panel (a layer specification without $schema) of a symmetric member-by-member matrix on a given
 * colour scale, the value printed in every cell and "n/a" where it is undefined.
 */
export function heatmapPanel(options: {
  title?: string;
  axisTitle: string;
  members: readonly number[];
  matrix: MemberMatrix;
  kind: HeatmapKind;
  scale: { domain: [number, number]; scheme: string };
}): Record<string, unknown> {
  const cells = options.members.flatMap((a, i) =>
    options.members.map((b, j) => {
      const v = options.matrix[i]![j]!;
      return { a, b, value: v !== null && Number.isFinite(v) ? v : null };
    }),
  );
  const { scale, kind } = options;
  const middle = (scale.domain[0] + scale.domain[1]) / 2;
  const size = Math.min(420, Math.max(180, 60 * options.members.length));
  const fontSize = options.members.length > 8 ? 8 : 12;
  return {
    // a title wider than its panel is cut; broken into lines that fit (about 7 px a character at 12 px), it is not
    ...(options.title === undefined ? {} : { title: { text: wrapWords(options.title, Math.floor(size / TITLE_CHAR_WIDTH)), limit: 0 } }),
    width: size,
    height: size,
    data: { values: cells },
    encoding: {
      x: { field: 'a', type: 'ordinal', title: options.axisTitle, axis: { labelAngle: 0 } },
      y: { field: 'b', type: 'ordinal', title: options.axisTitle },
    },
    layer: [
      {
        transform: [{ filter: 'isValid(datum.value)' }],
        mark: { type: 'rect' },
        encoding: { color: { field: 'value', type: 'quantitative', title: kind.legend, scale } },
      },
      {
        transform: [{ filter: 'isValid(datum.value)' }],
        mark: { type: 'text', fontSize },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: kind.format },
          color: {
            condition: { test: kind.darkHigh ? `datum.value > ${middle}` : `datum.value < ${middle}`, value: 'white' },
            value: 'black',
          },
        },
      },
      {
        transform: [{ filter: '!isValid(datum.value)' }],
        mark: { type: 'text', fontSize, color: GREY },
        encoding: { text: { value: 'n/a' } },
      },
    ],
  };
}

/** A heatmap of a symmetric member-by-member matrix, the value printed in every cell. */
function memberHeatmap(options: { id: string; title: string; caption: string; members: readonly number[]; matrix: MemberMatrix; kind: HeatmapKind }): Chart {
  const panel = heatmapPanel({
    axisTitle: 'snapshot',
    members: options.members,
    matrix: options.matrix,
    kind: options.kind,
    scale: heatmapScale(options.kind, [options.matrix]),
  });
  return { id: options.id, caption: options.caption, spec: { $schema: SCHEMA, title: options.title, ...panel } as TopLevelSpec };
}

/** Pairwise correlation of the members' softmax outputs (1 on the diagonal). */
export function correlationChart(members: readonly number[], correlation: MemberMatrix): Chart {
  return memberHeatmap({
    id: 'correlation',
    title: 'Correlation of softmax outputs',
    caption: 'Pearson correlation of every two snapshots\u2019 softmax outputs on the test set: lower means more diverse members.',
    members,
    matrix: correlation,
    kind: CORRELATION_KIND,
  });
}

/** Pairwise disagreement: how often two members predict different classes. */
export function disagreementChart(members: readonly number[], disagreement: MemberMatrix): Chart {
  return memberHeatmap({
    id: 'disagreement',
    title: 'Disagreement of predicted classes',
    caption: 'Fraction of test images on which two snapshots predict different classes.',
    members,
    matrix: disagreement,
    kind: DISAGREEMENT_KIND,
  });
}

