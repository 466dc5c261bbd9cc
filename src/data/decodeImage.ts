import sharp from 'sharp';
import { firstLine, UserError } from '../util/errors.js';

/** File name endings read as images: PNG, JPEG, WebP and GIF (the first frame). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'] as const;

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

/**
 * Decodes an image file (or its bytes) with sharp (libvips): oriented by its EXIF tag, composited over black where
 * transparent, resized to exactly height x width (stretched, bilinear), and converted to grey (1 channel) or sRGB
 * (3 channels). Returns height x width x channels bytes, row-major.
 */
export async function decodeImage(
  input: string | Uint8Array,
  size: { height: number; width: number },
  channels: 1 | 3,
  name = typeof input === 'string' ? input : 'image',
): Promise<Uint8Array> {
  try {
    let pipeline = sharp(input, { failOn: 'error' })
      .rotate()
      .flatten({ background: '#000000' })
      .resize({ width: size.width, height: size.height, fit: 'fill', kernel: 'linear' });
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || info.width !== size.width || info.height !== size.height) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size.width}x${size.height}x${channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    throw new UserError(`${name}: cannot decode image (${firstLine(e)})`);
  }
}
