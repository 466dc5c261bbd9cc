/**
 * snapshot-ensembles: Snapshot Ensembles (Huang, Li, Pleiss, Liu, Hopcroft, Weinberger, ICLR 2017) on TensorFlow.js.
 * Train one network with a cyclic cosine learning rate, save a snapshot at the end of every cycle, and average the
 * softmax outputs of the last m snapshots.
 */
export * from './schedules/index.js';
export * from './metrics/index.js';
export * from './ensemble/index.js';
export {
  evaluateRun,
  runTestSet,
  snapshotProbabilities,
  snapshotGaussians,
  type EvaluateRunOptions,
  type RunEvaluation,
  type RegressionRunEvaluation,
} from './ensemble/evaluateRun.js';
export { predictRun, type RunPrediction, type ClassificationPrediction, type RegressionPrediction, type PredictRunOptions } from './ensemble/predictRun.js';
export { evaluateRegressionEnsemble } from './metrics/evaluateRegression.js';
export * from './metrics/regression.js';
export { loadDataset, loadTestSet, resolveDataSource, type DataSourceOptions, type ImageFolderSource, type CsvSource } from './data/source.js';
export { loadUserModel, reinitialized, checkUserModel } from './models/userModel.js';
export * from './report/index.js';
export * from './serve/index.js';

export { parseIdx, decodeIdx, isGzip, type IdxArray } from './data/idx.js';
export { loadIdxDataset, loadTestSplit, readIdxFile, EMBEDDED_FASHION_MNIST_DIR, type LoadDatasetOptions } from './data/loadIdxDataset.js';
export { FASHION_MNIST_CLASSES, takeFirst, selectExamples, type Dataset, type ImageSet } from './data/dataset.js';
export { holdOutValidation } from './data/validationSplit.js';
export { normalizedBatch, augmentedBatch, oneHotBatch, FASHION_MNIST_NORMALIZATION, DEFAULT_AUGMENTATION } from './data/batch.js';

export * from './models/index.js';

export { SgdOptimizer, type SgdConfig } from './training/sgd.js';
export { trainLoop, iterationsPerEpoch, DivergenceError, TrainingInterrupted, type LoopConfig, type LoopHooks, type LoopResult, type ScheduledOptimizer } from './training/trainLoop.js';
export { planSnapshotCosine, planSgdr, planCyclic, planCycles, planFge, planSwag, defaultFgeOptions, defaultSwagOptions, type SnapshotPlan, type CyclePlanOptions } from './training/snapshotPlan.js';
export { cycleLengthHint, MIN_CYCLE_ITERATIONS } from './training/budgetHint.js';
export { WeightAverage, updateBatchNorm } from './training/swa.js';
export {
  SwagCollector,
  emptySwagMoments,
  addSwagIterate,
  swagSample,
  forEachSwagSample,
  readTrainable,
  writeTrainable,
  type SwagMoments,
  type SwagDraws,
} from './training/swag.js';
export { writeSwagMoments, readSwagMoments } from './run/swagState.js';
export { swagProbabilities, isSwagRun, type SwagDrawOptions } from './ensemble/swagRun.js';
export { measureLandscape, barrier, type LandscapeResult, type LandscapeSegment, type LandscapePlane, type LandscapeOptions } from './landscape/measure.js';
export { writeLandscape, readLandscape } from './landscape/landscapeFile.js';
export { interpolate, segmentAlphas, planeThrough, planePoint, planeGrid, type Plane } from './landscape/geometry.js';
export { resumeSnapshotEnsemble } from './run/resume.js';
export { trainSnapshotEnsemble, type RunControl, type SnapshotRunOptions, type SnapshotRunResult } from './run/train.js';
export { saveSnapshot } from './run/runDirectory.js';
export { DEFAULT_TRAIN_CONFIG } from './schema/defaults.js';
export { writeCheckpoint, readCheckpoint, restoreCheckpoint, hasCheckpoint, type Checkpoint } from './run/checkpoint.js';
export { acquireRunLock } from './run/runLock.js';
export { SteppedDropout, setDropoutStep } from './models/dropout.js';
export {
  snapshotEnsembleCallback,
  predictSnapshotEnsemble,
  modelOutputs,
  SnapshotEnsembleCallback,
  type SnapshotEnsembleCallbackOptions,
  type ModelOutputs,
} from './training/callback.js';
export type { StepProgress, Reporter } from './util/reporter.js';

export { fileSystem, FileSystemHandler } from './io/fileSystemHandler.js';
export { readRunRecord, writeRunRecord } from './run/runRecord.js';
export { loadSnapshotModel, verifySnapshot, lastSnapshots } from './run/snapshots.js';
export { readImageFiles } from './data/imageFiles.js';

export {
  useBackend,
  releaseBackend,
  autoChoice,
  describeChoice,
  BACKEND_NAMES,
  AUTO_ORDER,
  type BackendName,
  type EngineName,
  type BackendChoice,
  type BackendOptions,
} from './backend/backends.js';
export { probeTensorflow, probeWebGpu, DEFAULT_PROBES, type BackendProbes, type ProbeResult } from './backend/probes.js';
export { availableCores, type WasmThreading } from './backend/wasmNode.js';
export { registerWasmKernels, wasmTrainingKernels, WASM_TRAINING_KERNELS } from './backend/registerWasmKernels.js';
export { FastBatchNormalization, batchNormalization, batchNormTraining, channelSums } from './models/batchNorm.js';
export { foldedInference, type InferenceForward } from './models/foldedInference.js';

export * from './compare/index.js';

export { ensembleModel, EXPORT_COMBINE_RULES, EXPORT_PIXEL_RANGE, type ExportCombine, type EnsembleModelOptions } from './deploy/ensembleModel.js';
export { exportRun, defaultExportDir, type ExportOptions, type ExportResult, type ExportMetadata } from './deploy/exportRun.js';
export { quantizeWeights, affineUint8Range, QUANTIZATIONS, type Quantization } from './deploy/quantize.js';
export { ensembleOnnx, onnxInterface, ONNX_OPSET, type OnnxEnsembleSpec, type OnnxEnsemble, type OnnxHead, type OnnxTensorInfo } from './deploy/onnx/ensembleOnnx.js';
export { exportOnnxRun, defaultOnnxFile, type OnnxExportOptions, type OnnxExportResult, type OnnxExportMetadata, type OnnxCheck, type OnnxQuantization } from './deploy/onnx/exportOnnxRun.js';
export { ONNX_LAYOUTS, type OnnxLayout, type OnnxInputKind } from './deploy/onnx/heads.js';
export { distillationLoss, teacherTargets, distillationObjective, DEFAULT_DISTILLATION, type DistillationSettings } from './training/distillation.js';
export { distillRun, resumeDistillation, type DistillOptions } from './deploy/distillRun.js';
export { measureInferenceCost, type InferenceCost, type CostPoint } from './deploy/inferenceCost.js';
export { paretoFront } from './deploy/pareto.js';
export { convBnFolds, type ConvBnFold } from './models/foldedInference.js';
export type { TrainingObjective } from './training/trainLoop.js';

export { Rng, permutation } from './util/rng.js';
export { UserError } from './util/errors.js';
export * from './queue/index.js';
export * from './sweep/index.js';
export type { Augmentation, Normalization } from './schema/data.js';
export type { DataSourceSpec, IdxSource } from './schema/data.js';
export type { CycleScheduleName, FgeOptions, SwagOptions } from './schema/schedules.js';
export { CYCLE_SCHEDULES } from './schema/schedules.js';
export type { RegressionEvaluation } from './schema/metrics.js';
export type { EpochSummary } from './schema/training.js';
export type { LoopState } from './schema/training.js';
export type { SwagRecord } from './schema/run.js';
export type { ModelInit } from './schema/run.js';
export type { DataRecord, RunRecord, SnapshotRecord, TrainConfig } from './schema/run.js';
