/**
 * `snapshot-ensembles/deploy`: the ensemble as one model (a TF.js layers model or one ONNX graph), quantised
 * weights, distillation into one student network, and the inference cost of every way to answer.
 *
 * @packageDocumentation
 */
export { exportRun, defaultExportDir, type ExportOptions, type ExportResult, type ExportMetadata, type ExportMeasurement, type ModelCost } from '../deploy/exportRun.js';
export { ensembleModel, EXPORT_COMBINE_RULES, EXPORT_PIXEL_RANGE, REGRESSION_OUTPUTS, type ExportCombine, type EnsembleModelOptions, type RegressionHead } from '../deploy/ensembleModel.js';
export { quantizeWeights, affineUint8Range, QUANTIZATIONS, type Quantization } from '../deploy/quantize.js';
export { ensembleOnnx, onnxInterface, ONNX_OPSET, type OnnxEnsembleSpec, type OnnxEnsemble, type OnnxHead, type OnnxTensorInfo } from '../deploy/onnx/ensembleOnnx.js';
export { exportOnnxRun, defaultOnnxFile, type OnnxExportOptions, type OnnxExportResult, type OnnxExportMetadata, type OnnxCheck, type OnnxQuantization } from '../deploy/onnx/exportOnnxRun.js';
export { ONNX_LAYOUTS, type OnnxLayout, type OnnxInputKind } from '../deploy/onnx/heads.js';
export { distillRun, resumeDistillation, type DistillOptions } from '../deploy/distillRun.js';
export { distillationLoss, distillationObjective, DEFAULT_DISTILLATION, type DistillationSettings } from '../training/distillation.js';
export { measureInferenceCost, type InferenceCost, type CostPoint } from '../deploy/inferenceCost.js';
export { paretoFront } from '../deploy/pareto.js';
