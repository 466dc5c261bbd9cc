export { probabilityMatrix, toProbabilityMatrix, argmaxRow, predictedClasses, type ProbabilityMatrix, type Probabilities } from './probabilities.js';
export { errorRate, negativeLogLikelihood, brierScore, expectedCalibrationError, reliabilityBins, classificationMetrics, NLL_EPSILON, type ReliabilityBin } from './classification.js';
export type { Metrics } from '../schema/metrics.js';
