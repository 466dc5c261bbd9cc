import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureSet, readCsv } from '../src/data/csvTable.js';
import { Rng } from '../src/util/rng.js';
import { fieldValues, float32Text, parsePastedRow } from '../web/src/tableValues.js';
import { ROOT } from './helpers/cli.js';

/** The page's reading of a row typed or pasted into a table run's form (pure; the browser test drives the page). */

const WINE = path.join(ROOT, 'data', 'tables', 'wine.csv');
const lines = readFileSync(WINE, 'utf8').trim().split(/\r?\n/);
const header = lines[0]!.split(',');
const features = header.filter((h) => h !== 'cultivar');

describe("the page reads a pasted CSV row as the library reads a CSV file's rows", () => {
  it('a header line and a row, columns matched by name in any order, the label ignored: the same float32 values as featureSet', () => {
    const library = featureSet(readCsv(WINE), features);
    for (const r of [0, 57, 177]) {
      const expected = Array.from(library.images.subarray(r * 13, (r + 1) * 13));
      expect(Array.from(parsePastedRow(`${lines[0]}\n${lines[r + 1]}`, features))).toEqual(expected);
      // the features alone, in the form's order
      const cells = lines[r + 1]!.split(',');
      expect(Array.from(parsePastedRow(cells.slice(0, 13).join(','), features))).toEqual(expected);
      // columns reversed, quoted, with spaces, a byte-order mark and blank lines around
      const reversed = `\ufeff${[...header].reverse().join(', ')}\n\n${cells.reverse().map((c) => `"${c}"`).join(' , ')}\n`;
      expect(Array.from(parsePastedRow(reversed, features))).toEqual(expected);
    }
  });

  it('says in one line what is wrong with a row it cannot read', () => {
    const row = lines[1]!.split(',');
    expect(() => parsePastedRow('', features)).toThrow('nothing pasted: paste one CSV row, with or without its header line');
    expect(() => parsePastedRow(row.join(','), features)).toThrow(/^the row has 14 fields but the run takes 13 features \(alcohol, malic_acid, .*proline\); or paste a header line above it$/);
    expect(() => parsePastedRow(`${lines[0]}\n${lines[1]}\n${lines[2]}`, features)).toThrow('3 lines pasted: paste one row, with or without its header line');
    expect(() => parsePastedRow(`${lines[0]!.replace('ash,', 'ashes,')}\n${lines[1]}`, features)).toThrow("the header line has no column 'ash'");
    expect(() => parsePastedRow(`${lines[0]}\n${row.slice(1).join(',')}`, features)).toThrow('the row has 13 fields but the header line has 14');
    const bad = [...row.slice(0, 13)];
    bad[4] = 'lots';
    expect(() => parsePastedRow(bad.join(','), features)).toThrow("column 'magnesium' holds 'lots', not a number");
    bad[4] = '';
    expect(() => parsePastedRow(bad.join(','), features)).toThrow("column 'magnesium' holds '', not a number");
    expect(() => parsePastedRow('1,"2', ['a', 'b'])).toThrow(/^not a CSV row \(/);
  });

  it("the form's fields: numbers as Number reads them, or the first field that is not one named", () => {
    expect(Array.from(fieldValues(['1.5', ' -2 ', '1e3'], ['a', 'b', 'c']))).toEqual([1.5, -2, 1000]);
    expect(() => fieldValues(['1', 'x'], ['a', 'b'])).toThrow("column 'b' holds 'x', not a number");
    expect(() => fieldValues(['', '1'], ['a', 'b'])).toThrow("column 'a' holds '', not a number");
    expect(() => fieldValues(['Infinity'], ['a'])).toThrow("column 'a' holds 'Infinity', not a number");
  });
});

describe('float32 values written back into the form', () => {
  it('the shortest text that reads back as the same float32', () => {
    expect(float32Text(Math.fround(14.23))).toBe('14.23');
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(1065)).toBe('1065');
    expect(float32Text(-0.5)).toBe('-0.5');
    expect(float32Text(0)).toBe('0');
    const rng = new Rng(3);
    const values = [...featureSet(readCsv(WINE), features).images, Math.fround(1e-30), Math.fround(3.4e38), Math.fround(-7.000001)];
    for (let i = 0; i < 2000; i++) values.push(Math.fround((rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 6)));
    for (const v of values) {
      const text = float32Text(v);
      expect(Math.fround(Number(text)), text).toBe(v);
      expect(text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length, text).toBeLessThanOrEqual(9);
    }
  });
});
