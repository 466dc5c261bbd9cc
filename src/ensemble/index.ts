export {
  meanProbabilities,
  majorityVote,
  weightedMeanProbabilities,
  geometricMeanProbabilities,
  combine,
  lastM,
  COMBINE_RULES,
  VOTE_TIE_BREAK,
  type CombineRule,
} from '../metrics/combine.js';
export { evaluateEnsemble, type EnsembleEvaluation, type MemberMetrics, type EnsembleMetrics } from '../metrics/evaluate.js';
export { predictProbabilities, PREDICT_BATCH_SIZE } from '../models/predict.js';
export { pairwiseCorrelation, pairwiseDisagreement, meanOffDiagonal, diversity, type Diversity } from '../metrics/diversity.js';
export { selectBestK, fitMixtureWeights, type BestKSelection, type MixtureWeights } from '../metrics/selection.js';
