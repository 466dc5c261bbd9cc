export { buildModel, modelNames } from './registry.js';
export { cnn } from './cnn.js';
export { resnet } from './resnet.js';
export type { ModelOptions } from './types.js';
