export { writeRunReport, checkReportPath, REPORT_FILE, type RunReportOptions, type WrittenReport } from './runReport.js';
export { runReportData, bestMember, MAX_TRACE_POINTS, RELIABILITY_BINS, type RunReportData } from './reportData.js';
export { runReportHtml, renderCharts, runSettings, type RenderedReport } from './runReportHtml.js';
export {
  learningRateAndLossChart,
  errorChart,
  correlationChart,
  disagreementChart,
  reliabilityChart,
  type Chart,
  type ErrorCurve,
} from './charts.js';
export { renderSvg, type RenderedChart } from './renderSvg.js';
export { reportDocument, escapeHtml, metricsTableHtml, settingsTableHtml, tableHtml, type ReportSection, type FigureHtml } from './html.js';
export { sampleTrace, windowMeans, windowFor, type TracePoint } from './trace.js';
export { writeCompareReport } from './compareReport.js';
export { compareReportData, configurationName, meanMatrix, type CompareReportData, type LastMCurve, type ReferenceLevel, type RowDiversity, type TrainingConfiguration } from './compareReportData.js';
export { compareReportHtml, compareSummary, compareSettings } from './compareReportHtml.js';
export { compareErrorChart, compareTrainingChart, compareCorrelationChart, compareDisagreementChart } from './compareCharts.js';
export type { ReliabilityPanel } from './chartTypes.js';
