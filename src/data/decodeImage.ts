import { createRequire } from 'node:module';
import type Sharp from 'sharp';
import { firstLine, UserError } from '../util/errors.js';
import { luma601 } from './luma.js';

/** sharp (libvips), loaded with the first image decoded, not with the package. */
let loaded: typeof Sharp | undefined;
function sharp(...args: Parameters<typeof Sharp>): ReturnType<typeof Sharp> {
  loaded ??= createRequire(import.meta.url)('sharp') as typeof Sharp;
  return loaded(...args);
}

/** File name endings read as images: PNG, JPEG, WebP and GIF (the first frame). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'] as const;

/** Whether a file name ends like an image the decoder reads (PNG, JPEG, WebP, GIF), and is not hidden. */
export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** An image's height and width as it will be decoded (after its EXIF orientation is applied). */
export async function imageDimensions(file: string): Promise<{ height: number; width: number }> {
  try {
    const meta = await sharp(file).metadata();
    const { width, height } = meta.autoOrient ?? meta;
    if (width === undefined || height === undefined) throw new Error('no dimensions in the header');
    return { height, width };
  } catch (e) {
    throw new UserError(`${file}: cannot decode image (${firstLine(e)})`);
  }
}

/** An image decoded to bytes, with its size. */
export interface DecodedImage {
  height: number;
  width: number;
  /** height x width x channels bytes, row-major. */
  pixels: Uint8Array;
}

/**
 * Decodes an image file (or its bytes) with sharp (libvips), the project's one image decoder: oriented by its EXIF
 * tag, composited over black where transparent, resized to exactly height x width when a size is given (stretched,
 * bilinear), as sRGB; for 1 channel, converted to grey with luma601.
 */
export async function decodeImageFile(
  input: string | Uint8Array,
  size: { height: number; width: number } | null,
  channels: 1 | 3,
  name = typeof input === 'string' ? input : 'image',
): Promise<DecodedImage> {
  let raw: { data: Buffer; info: Sharp.OutputInfo };
  try {
    let pipeline = sharp(input, { failOn: 'error' }).rotate().flatten({ background: '#000000' });
    if (size !== null) pipeline = pipeline.resize({ width: size.width, height: size.height, fit: 'fill', kernel: 'linear' });
    raw = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UserError(`${name}: cannot decode image (${firstLine(e)})`);
  }
  const { data, info } = raw;
  if (info.channels !== 3 || (size !== null && (info.width !== size.width || info.height !== size.height))) {
    throw new UserError(`${name}: cannot decode image (decoded to ${info.width}x${info.height}x${info.channels})`);
  }
  const count = info.width * info.height;
  if (channels === 3) return { height: info.height, width: info.width, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  const grey = new Uint8Array(count);
  for (let p = 0; p < count; p++) grey[p] = luma601(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
  return { height: info.height, width: info.width, pixels: grey };
}

/** An image decoded and resized to exactly height x width x channels bytes (decodeImageFile). */
export async function decodeImage(
  input: string | Uint8Array,
  size: { height: number; width: number },
  channels: 1 | 3,
  name = typeof input === 'string' ? input : 'image',
): Promise<Uint8Array> {
  return (await decodeImageFile(input, size, channels, name)).pixels;
}
