/**
 * `snapshot-ensembles/report`: self-contained HTML reports of a run or a comparison, their charts (Vega-Lite
 * specifications, rendered to SVG), and the paper's Figure 1 measured on a run (the loss landscape).
 *
 * @packageDocumentation
 */
export { writeRunReport, checkReportPath, REPORT_FILE, type RunReportOptions, type WrittenReport } from '../report/runReport.js';
export { writeCompareReport } from '../report/compareReport.js';
export { runReportData, recordedRunReportData, bestMember, type RunReportData } from '../report/reportData.js';
export { compareReportData, type CompareReportData } from '../report/compareReportData.js';
export { learningRateAndLossChart, errorChart, reliabilityChart, type Chart, type ErrorCurve } from '../report/charts.js';
export { correlationChart, disagreementChart } from '../report/heatmaps.js';
export { compareErrorChart, compareTrainingChart, compareCorrelationChart, compareDisagreementChart } from '../report/compareCharts.js';
export { renderSvg, type RenderedChart } from '../report/renderSvg.js';
export type { ReliabilityPanel, CostChartPoint } from '../report/chartTypes.js';
export { measureLandscape, barrier, type LandscapeOptions, type LandscapeResult, type LandscapeSegment, type LandscapePlane, type LandscapeValues } from '../landscape/measure.js';
export { writeLandscape, readLandscape } from '../landscape/landscapeFile.js';
export { interpolate, segmentAlphas, planeThrough, planePoint, planeGrid, type Plane } from '../landscape/geometry.js';
