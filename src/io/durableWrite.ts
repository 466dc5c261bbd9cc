import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/** Writes a file and flushes it to the disk before returning, so a rename after it publishes complete data. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
