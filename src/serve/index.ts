export { serveRun, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TEST_IMAGES, MAX_TEST_IMAGES, type ServeRunOptions, type RunServer } from './server.js';
export { resolveInside, contentType, type Resolved } from './staticFiles.js';
export { testImagesResponse, type TestImagesResponse } from './testImages.js';
export { featureNames, isTableRun, testRowsResponse, type TestRowsResponse } from './testRows.js';
