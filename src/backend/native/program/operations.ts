/**
 * The programs' operations (native/src/program.cc): each one's buffer operands and numeric parameters, by
 * name and in the addon's order. The addon lists the same table with its op codes (`programOperations()`); a test
 * checks that the two agree, and the codes are taken from the addon when a program is made.
 */
export const OPERATIONS = {
  conv: { buffers: ['x', 'w', 'bias', 'y'], params: ['relu', 'block', 'h', 'w', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl', 'pb', 'pr'] },
  convData: { buffers: ['dy', 'w', 'dx'], params: ['block', 'h', 'w', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl', 'pb', 'pr'] },
  convFilter: { buffers: ['x', 'dy', 'dw', 'dbias'], params: ['block', 'h', 'w', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl', 'pb', 'pr'] },
  batchNorm: {
    buffers: ['x', 'gamma', 'beta', 'y', 'mean', 'variance', 'movingMean', 'movingVariance', 'newMovingMean', 'newMovingVariance', 'residual'],
    params: ['relu', 'epsilon', 'momentum'],
  },
  batchNormGrad: { buffers: ['dy', 'x', 'mean', 'variance', 'gamma', 'beta', 'dx', 'dgamma', 'dbeta'], params: ['relu', 'epsilon', 'accumulate'] },
  add: { buffers: ['a', 'b', 'y'], params: ['relu'] },
  mask: { buffers: ['dy', 'y', 'dx'], params: ['accumulate'] },
  copy: { buffers: ['src', 'dst'], params: ['accumulate'] },
  mul: { buffers: ['a', 'b', 'y'], params: ['accumulate'] },
  relu: { buffers: ['x', 'y'], params: [] },
  pool: { buffers: ['x', 'y'], params: ['max', 'h', 'w', 'fh', 'fw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl'] },
  poolGrad: { buffers: ['dy', 'x', 'dx'], params: ['max', 'h', 'w', 'fh', 'fw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl'] },
  meanPositions: { buffers: ['x', 'y'], params: [] },
  meanPositionsGrad: { buffers: ['dy', 'dx'], params: ['accumulate'] },
  dense: { buffers: ['x', 'w', 'bias', 'y'], params: ['relu'] },
  denseData: { buffers: ['dy', 'w', 'dx'], params: ['accumulate'] },
  denseFilter: { buffers: ['x', 'dy', 'dw', 'dbias'], params: [] },
  scaleShift: { buffers: ['x', 'scale', 'shift', 'y'], params: ['relu'] },
  convInference: {
    buffers: ['x', 'w', 'bias', 'y'],
    params: ['relu', 'blockIn', 'blockOut', 'ci', 'co', 'h', 'w', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'pt', 'pl', 'pb', 'pr'],
  },
  unblock: { buffers: ['x', 'y'], params: [] },
  block: { buffers: ['x', 'y'], params: [] },
} as const;

export type OperationName = keyof typeof OPERATIONS;
type Spec<N extends OperationName> = (typeof OPERATIONS)[N];

/** One operation of a plan: its buffer operands (buffer ids; null for an absent optional one) and parameters. */
export interface PlanOp<N extends OperationName = OperationName> {
  name: N;
  buffers: Record<Spec<N>['buffers'][number], number | null>;
  params: Record<Spec<N>['params'][number], number>;
}

/** The addon's row for an operation: [code, ...buffer ids (-1 when absent), ...parameters]. */
export function encodeOp(op: PlanOp, code: number): number[] {
  const spec = OPERATIONS[op.name];
  const buffers = op.buffers as Record<string, number | null>;
  const params = op.params as Record<string, number>;
  return [code, ...spec.buffers.map((b) => buffers[b] ?? -1), ...spec.params.map((p) => params[p]!)];
}
