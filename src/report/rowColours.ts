/**
 * One colour per row of a comparison, kept in every chart of its report: the colours of Tableau 10 (Vega's
 * `category10`) assigned in table order, then those of `category20`'s lighter half for more than ten rows.
 */
export const ROW_PALETTE: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];

/** Colour of every row key, in the order given (the comparison's table order); the palette repeats past 20 rows. */
export function rowColours(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key, i) => [key, ROW_PALETTE[i % ROW_PALETTE.length]!]));
}

/**
 * A colour for each of several groups that each belong to rows (the first row a group lists decides): a group takes
 * its first row's colour unless an earlier group has it, else the first palette colour no group or row uses yet.
 */
export function groupColours(groups: readonly (readonly string[])[], colours: Readonly<Record<string, string>>): string[] {
  const used = new Set<string>();
  const wanted = groups.map((rows) => (rows[0] === undefined ? undefined : colours[rows[0]]));
  const taken = new Set(Object.values(colours));
  const spare = ROW_PALETTE.filter((c) => !taken.has(c));
  return wanted.map((colour) => {
    const pick = colour !== undefined && !used.has(colour) ? colour : (spare.shift() ?? ROW_PALETTE[used.size % ROW_PALETTE.length]!);
    used.add(pick);
    return pick;
  });
}
