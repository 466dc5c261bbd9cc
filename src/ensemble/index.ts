export { meanProbabilities, majorityVote, combine, lastM, COMBINE_RULES, VOTE_TIE_BREAK, type CombineRule } from './combine.js';
export { evaluateEnsemble, type EnsembleEvaluation, type MemberMetrics, type EnsembleMetrics } from './evaluate.js';
export { predictProbabilities, PREDICT_BATCH_SIZE } from './predict.js';
export { pairwiseCorrelation, pairwiseDisagreement, meanOffDiagonal, diversity, type Diversity } from './diversity.js';
