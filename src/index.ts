/**
 * snapshot-ensembles: Snapshot Ensembles (Huang, Li, Pleiss, Liu, Hopcroft, Weinberger, ICLR 2017) on TensorFlow.js.
 * Train one network with a cyclic cosine learning rate, save a snapshot at the end of every cycle, and average the
 * softmax outputs of the last m snapshots.
 *
 * The package root holds what a user of the method needs; the rest comes from its subpaths:
 * `snapshot-ensembles/data` (data sources and batches), `/compare` (the paper's Table 1, sweeps), `/report` (HTML
 * reports, charts, the loss landscape), `/deploy` (export, ONNX, quantisation, distillation, inference cost),
 * `/queue` (BullMQ coordinator and worker) and `/serve` (the browser page's server).
 *
 * @packageDocumentation
 */

// Training a run: the method end to end, into a run directory.
export { trainSnapshotEnsemble, type SnapshotRunOptions, type RunControl, type SnapshotRunResult } from './run/train.js';
export { resumeSnapshotEnsemble } from './run/resume.js';
export type { RunDataOptions } from './run/runData.js';
export { DEFAULT_TRAIN_CONFIG, DEFAULT_OPTIMIZER, DEFAULT_SPLIT, defaultFgeOptions, defaultSwagOptions } from './schema/defaults.js';

// Reading a run back: its members' metrics, predictions, export.
export { evaluateRun, unfinishedRunNote, type EvaluateRunOptions, type RunEvaluation, type ClassificationRunEvaluation, type RegressionRunEvaluation, type RunFacts } from './ensemble/evaluateRun.js';
export { predictRun, type PredictRunOptions, type RunPrediction, type ClassificationPrediction, type RegressionPrediction } from './ensemble/predictRun.js';
export type { SwagDrawOptions } from './ensemble/swagRun.js';
export { exportRun, type ExportOptions, type ExportResult, type ExportMetadata, type ExportMeasurement, type ModelCost } from './deploy/exportRun.js';
export { exportOnnxRun, type OnnxExportOptions, type OnnxExportResult, type OnnxExportMetadata, type OnnxCheck, type OnnxQuantization } from './deploy/onnx/exportOnnxRun.js';
export { readRunRecord } from './run/runRecord.js';
export { loadSnapshotModel } from './run/snapshots.js';

// Your own model.fit: the callback, the ensemble's prediction, the optimiser.
export { snapshotEnsembleCallback, predictSnapshotEnsemble, SnapshotEnsembleCallback, type SnapshotEnsembleCallbackOptions } from './training/callback.js';
export { modelOutputs, loadUserModel, type ModelOutputs } from './models/userModel.js';
export { SgdOptimizer, type SgdConfig } from './training/sgd.js';
export { fileSystem, FileSystemHandler } from './io/fileSystemHandler.js';

// The networks of the paper.
export { buildModel, modelNames } from './models/registry.js';
export type { ModelOptions } from './models/types.js';

// Learning-rate schedules: pure functions of the 1-based iteration.
export type { Schedule } from './schedules/types.js';
export { snapshotCosine, snapshotCycleLength, snapshotCycleEnds } from './schedules/snapshotCosine.js';
export { sgdr, sgdrCycleEnds } from './schedules/sgdr.js';
export { cyclic } from './schedules/cyclic.js';
export { stepDecay, baselineMilestones } from './schedules/stepDecay.js';
export { constant, joinSchedules } from './schedules/constant.js';
export { swaSchedule, swaStartEpoch } from './schedules/swa.js';
export { fgeCycle, fgeSchedule, fgeCollectionPoints } from './schedules/fge.js';
export { scheduleFromConfig } from './schedules/fromConfig.js';
export { planSnapshotCosine, planSgdr, planCyclic, planFge, planSwag, planCycles, type SnapshotPlan, type CyclePlanOptions } from './training/snapshotPlan.js';
export { cycleLengthHint, MIN_CYCLE_ITERATIONS } from './training/budgetHint.js';

// Metrics and combination rules: pure functions of probabilities.
export { probabilityMatrix, toProbabilityMatrix, argmaxRow, predictedClasses, type ProbabilityMatrix, type Probabilities } from './metrics/probabilities.js';
export { errorRate, negativeLogLikelihood, brierScore, expectedCalibrationError, reliabilityBins, classificationMetrics, type ReliabilityBin } from './metrics/classification.js';
export { regressionMetrics, gaussianNll, rootMeanSquaredError, meanAbsoluteError, combineGaussians, quantileCalibration, type GaussianMember, type QuantilePoint } from './metrics/regression.js';
export { meanProbabilities, majorityVote, weightedMeanProbabilities, geometricMeanProbabilities, combine, lastM } from './metrics/combine.js';
export { pairwiseCorrelation, pairwiseDisagreement, diversity } from './metrics/diversity.js';
export { evaluateEnsemble } from './metrics/evaluate.js';
export { evaluateRegressionEnsemble } from './metrics/evaluateRegression.js';

// Engines.
export { useBackend, releaseBackend, describeChoice, BACKEND_NAMES, type BackendName, type EngineName, type BackendChoice, type BackendOptions } from './backend/backends.js';

// Errors a caller may meet.
export { UserError } from './util/errors.js';
export { DivergenceError, TrainingInterrupted } from './training/trainLoop.js';
export type { Reporter, StepProgress } from './util/reporter.js';

// The files a run writes, as types.
export type { RunRecord, TrainConfig, DataRecord, SnapshotRecord, MemberPlan, SwagRecord, ModelInit, ExampleValues } from './schema/run.js';
export type { OptimizerSettings, SplitSettings, DataSettings } from './schema/settings.js';
export type { Normalization, Augmentation, Task, DataSourceSpec, IdxSource, ImageFolderSource, CsvSource, MemorySource } from './schema/data.js';
export type { Metrics, RegressionMetrics, CombineRule, Diversity, EnsembleEvaluation, EnsembleMetrics, MemberMetrics, RegressionEvaluation, RegressionEnsembleMetrics, RegressionMemberMetrics } from './schema/metrics.js';
export { COMBINE_RULES } from './schema/metrics.js';
export type { ScheduleConfig, CycleScheduleName, FgeOptions, SwagOptions, SnapshotCosineConfig, SgdrConfig, CyclicConfig, CyclicMode, StepDecayConfig, SwaScheduleConfig, FgeScheduleConfig, FgeCycleConfig } from './schema/schedules.js';
export { CYCLE_SCHEDULES } from './schema/schedules.js';
export type { EpochSummary, LoopState } from './schema/training.js';
