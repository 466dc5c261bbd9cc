/** A classifier's metrics on a set of examples: error rate, NLL, ECE (15 bins) and Brier score; rates as fractions. */
export interface Metrics {
  error: number;
  nll: number;
  ece: number;
  brier: number;
}

/** Metrics of a regression with a Gaussian predictive distribution N(mean_i, variance_i) per example. */
export interface RegressionMetrics {
  /** Root mean squared error of the predicted means. */
  rmse: number;
  /** Mean absolute error of the predicted means. */
  mae: number;
  /** Mean Gaussian negative log-likelihood of the targets (nats). */
  nll: number;
}

/**
 * How members' softmax outputs are combined: 'mean' is the paper's rule; 'vote' is majority voting; 'geometric' is
 * the normalised geometric mean, which equals the softmax of the mean of the members' logits (beyond the paper).
 */
export type CombineRule = 'mean' | 'vote' | 'geometric';

/** How the members of an ensemble differ: pairwise correlation of their outputs and disagreement of their predicted classes. */
export interface Diversity {
  /** pairwiseCorrelation of the members' softmax outputs. */
  correlation: number[][];
  /** pairwiseDisagreement of the members' predicted classes. */
  disagreement: number[][];
  meanCorrelation: number;
  meanDisagreement: number;
}

/** One member's metrics. */
export interface MemberMetrics extends Metrics {
  /** 1-based snapshot index. */
  index: number;
}

/** A classifier ensemble's metrics: the ensemble of the last m members. */
export interface EnsembleMetrics extends Metrics {
  /** Number of members: the last m snapshots. */
  m: number;
}

/** A classifier's members and last-m ensembles evaluated on one set of examples, with the members' diversity. */
export interface EnsembleEvaluation {
  task: 'classification';
  combine: CombineRule;
  members: MemberMetrics[];
  ensembles: EnsembleMetrics[];
  /** Pairwise correlation of the members' softmax outputs and pairwise disagreement, on the same examples. */
  diversity: Diversity;
}

export interface RegressionMemberMetrics extends RegressionMetrics {
  /** 1-based snapshot index. */
  index: number;
  /** The member's sigma^2: its mean squared error on the training set. */
  noiseVariance: number;
}

export interface RegressionEnsembleMetrics extends RegressionMetrics {
  /** Number of members: the last m snapshots. */
  m: number;
  /** Mean over examples of the members' spread (standard deviation of their predictions). */
  meanSpread: number;
}

/** A regression's members and last-m ensembles (the mixture of their Gaussians) evaluated on one set of examples. */
export interface RegressionEvaluation {
  task: 'regression';
  members: RegressionMemberMetrics[];
  ensembles: RegressionEnsembleMetrics[];
}

/** The rules that combine members' class probabilities. */
export const COMBINE_RULES: readonly CombineRule[] = ['mean', 'vote', 'geometric'];
