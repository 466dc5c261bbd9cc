
import type { TestImagesResponse } from '../../src/serve/testImages.js';
import type { TestRowsResponse } from '../../src/serve/testRows.js';
import type { RunRecord } from '../../src/schema/run.js';

/** What the page fetches from `snapshot-ensembles serve`: the run's record and a few of its test images (or table rows). */

export type { RunRecord, TestImagesResponse, TestRowsResponse };

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new Error(`${url}: ${response.status} ${response.statusText}${text === '' ? '' : ` (${text.trim()})`}`);
  }
  return (await response.json()) as T;
}

export function fetchRunRecord(): Promise<RunRecord> {
  return fetchJson<RunRecord>('run/run.json');
}

export interface TestImages {
  count: number;
  height: number;
  width: number;
  channels: number;
  labels: number[];
  /** count x height x width x channels bytes. */
  images: Uint8Array;
  /** Index of each image in the run's test split. */
  indices: number[];
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function fetchTestImages(count: number): Promise<TestImages> {
  const r = await fetchJson<TestImagesResponse>(`api/test-images?count=${count}`);
  return { ...r, images: decodeBase64(r.images) };
}

/** The first rows of a table run's test split, as numbers. */
export function fetchTestRows(count: number): Promise<TestRowsResponse> {
  return fetchJson<TestRowsResponse>(`api/test-rows?count=${count}`);
}

/**
 * Throws, without asking the server, when it cannot read the run's test examples: they were given in memory (the
 * server answers 404 with the same words).
 */
export function checkTestSetReadable(record: RunRecord): void {
  const source = record.data.source;
  if (source?.kind === 'memory') throw new Error(`the run's examples ('${source.name}') were given in memory, so the server cannot read its test split`);
}
