export { buildModel, checkModelName, modelNames } from './registry.js';
export { cnn } from './cnn.js';
export { resnet } from './resnet.js';
export { wideResnet } from './wideResnet.js';
export { densenetBC } from './densenet.js';
export type { ModelOptions } from './types.js';
