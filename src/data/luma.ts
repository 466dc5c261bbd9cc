/**
 * The grey value of an sRGB pixel: ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, rounded. The one grey conversion
 * of the project: image decoding (decodeImage.ts) and the browser page (web/src/images.ts) both use it.
 */
export function luma601(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}
