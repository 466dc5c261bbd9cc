export { meanProbabilities, majorityVote, weightedMeanProbabilities, geometricMeanProbabilities, combine, lastM, VOTE_TIE_BREAK } from '../metrics/combine.js';
export { evaluateEnsemble } from '../metrics/evaluate.js';
export { predictProbabilities, PREDICT_BATCH_SIZE } from '../models/predict.js';
export { pairwiseCorrelation, pairwiseDisagreement, meanOffDiagonal, diversity } from '../metrics/diversity.js';
export { selectBestK, fitMixtureWeights, type BestKSelection, type MixtureWeights } from '../metrics/selection.js';
export type { CombineRule } from '../schema/metrics.js';
export type { Diversity } from '../schema/metrics.js';
export type { EnsembleEvaluation, EnsembleMetrics, MemberMetrics } from '../schema/metrics.js';
export { COMBINE_RULES } from '../schema/metrics.js';
