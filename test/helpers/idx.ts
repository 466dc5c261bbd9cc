/** An IDX file of unsigned bytes with the given dimensions. */
export function idxBytes(dims: readonly number[], body: ArrayLike<number>, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(Array.from(body), header.length);
  return out;
}
