/**
 * `snapshot-ensembles/serve`: the server of the browser page that runs a run's snapshots (and its exports) with
 * TensorFlow.js and ONNX Runtime Web.
 *
 * @packageDocumentation
 */
export { serveRun, DEFAULT_HOST, DEFAULT_PORT, type ServeRunOptions, type RunServer } from '../serve/server.js';
