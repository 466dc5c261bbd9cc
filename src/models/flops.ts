import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Floating-point operations of one image through a model's convolutions and dense layers (2 per multiply-add;
 * batch norm, pooling and activations are left out, being a few percent). A training step costs about three
 * times the forward pass: the forward product, the input gradient and the weight gradient.
 */
export function forwardFlopsPerImage(model: tfl.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const name = layer.getClassName();
    const config = layer.getConfig() as { kernelSize?: number[] | number; filters?: number; units?: number };
    if (name === 'Conv2D') {
      const out = layer.outputShape as number[];
      const input = (layer.input as { shape: number[] }).shape[3]!;
      const [kh, kw] = Array.isArray(config.kernelSize) ? config.kernelSize : [config.kernelSize!, config.kernelSize!];
      flops += 2 * out[1]! * out[2]! * out[3]! * kh! * kw! * input;
    } else if (name === 'Dense') {
      const input = (layer.input as { shape: number[] }).shape;
      flops += 2 * input[input.length - 1]! * config.units!;
    }
  }
  return flops;
}

export function trainingFlopsPerImage(model: tfl.LayersModel): number {
  return 3 * forwardFlopsPerImage(model);
}

/**
 * The fp32 peak of one x86 core, in GFLOP/s: two FMA units, each `lanes` floats wide (16 with AVX-512, 8 with
 * AVX2, 4 otherwise), two FLOPs per lane per cycle, at `mhz` (the nominal clock /proc/cpuinfo reports; turbo can
 * be higher, so the share of peak we print is if anything too high).
 */
export function fp32PeakGflopsPerCore(cpuFlags: readonly string[], mhz: number): number {
  const lanes = cpuFlags.includes('avx512f') ? 16 : cpuFlags.includes('avx2') ? 8 : 4;
  return (2 * lanes * 2 * mhz) / 1000;
}
