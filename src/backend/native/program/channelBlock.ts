import type { NativeAddon } from '../addon.js';

/** Channels per block of blocked activations; 0: activations stay NHWC. */
export type ChannelBlock = 0 | 8 | 16;

/**
 * The channel block the programs keep activations in: the CPU's (16 with AVX-512, 8 with AVX2), or SE_NATIVE_BLOCK
 * (0, 8 or 16) where a test or a measurement wants another.
 */
export function channelBlock(addon: NativeAddon): ChannelBlock {
  const forced = process.env.SE_NATIVE_BLOCK;
  const block = forced === undefined || forced === '' ? addon.channelBlock() : Number(forced);
  if (block !== 0 && block !== 8 && block !== 16) throw new Error(`SE_NATIVE_BLOCK must be 0, 8 or 16, not ${forced}`);
  return block;
}
