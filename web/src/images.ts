import { luma601 } from '../../src/data/luma.js';
/** Turning pictures into the bytes the models take, and bytes back into pictures. */

/**
 * An RGBA picture as H x W x channels bytes, the same way the Node library decodes an image file: composited over
 * black where transparent, then grey by the ITU-R BT.601 luma (luma601: 0.299 R + 0.587 G + 0.114 B).
 */
export function rgbaToPixels(rgba: Uint8ClampedArray, width: number, height: number, channels: number, invert = false): Uint8Array {
  const pixels = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const r = rgba[4 * p]!;
    const g = rgba[4 * p + 1]!;
    const b = rgba[4 * p + 2]!;
    const alpha = rgba[4 * p + 3]! / 255;
    // over black where transparent, as sharp's flatten does in Node; then grey by the library's own luma601
    const [fr, fg, fb] = [Math.round(r * alpha), Math.round(g * alpha), Math.round(b * alpha)];
    const values = channels === 1 ? [luma601(fr, fg, fb)] : [fr, fg, fb];
    for (let c = 0; c < channels; c++) {
      const v = values[c % values.length]!;
      pixels[p * channels + c] = invert ? 255 - v : v;
    }
  }
  return pixels;
}

/** Reads an image file the user picked, scaled to width x height, as model input bytes. */
export async function fileToPixels(file: File, width: number, height: number, channels: number, invert: boolean): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('this browser has no 2D canvas');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return rgbaToPixels(context.getImageData(0, 0, width, height).data, width, height, channels, invert);
}

/** Draws model input bytes on a canvas (grey or RGB), one canvas pixel per image pixel; CSS scales it up. */
export function drawPixels(canvas: HTMLCanvasElement, pixels: Uint8Array, width: number, height: number, channels: number): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  const image = context.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) image.data[4 * p + c] = pixels[p * channels + (channels === 1 ? 0 : c)]!;
    image.data[4 * p + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}
