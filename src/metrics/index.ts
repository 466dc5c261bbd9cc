export { probabilityMatrix, argmaxRow, predictedClasses, type ProbabilityMatrix } from './probabilities.js';
export {
  errorRate,
  negativeLogLikelihood,
  brierScore,
  expectedCalibrationError,
  reliabilityBins,
  classificationMetrics,
  NLL_EPSILON,
  type Metrics,
  type ReliabilityBin,
} from './classification.js';
