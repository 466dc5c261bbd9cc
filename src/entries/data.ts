/**
 * `snapshot-ensembles/data`: where a run's examples come from (IDX files, image folders, CSV tables, or arrays in
 * memory) and how they are fed to the network (normalised, augmented batches).
 *
 * @packageDocumentation
 */
export { loadDataset, loadTestSet, resolveDataSource, sourceName, sourceLocation, type DataSourceOptions, type LoadDataOptions } from '../data/source.js';
export { loadIdxDataset, loadTestSplit, readIdxFile, EMBEDDED_FASHION_MNIST_DIR, type LoadDatasetOptions } from '../data/loadIdxDataset.js';
export { parseIdx, decodeIdx, isGzip, type IdxArray } from '../data/idx.js';
export { loadImageFolder, type LoadedImageFolder } from '../data/imageFolder.js';
export { loadCsvTable } from '../data/csvTable.js';
export { decodeImage, decodeImageFile, isImageFile, IMAGE_EXTENSIONS, type DecodedImage } from '../data/decodeImage.js';
export { luma601 } from '../data/luma.js';
export { readImageFiles, type NamedImages } from '../data/imageFiles.js';
export { FASHION_MNIST_CLASSES, exampleShape, takeFirst, selectExamples, type Dataset, type ImageSet } from '../data/dataset.js';
export { holdOutValidation } from '../data/validationSplit.js';
export { channelStatistics, targetStatistics } from '../data/statistics.js';
export { normalizedBatch, augmentedBatch, oneHotBatch, targetBatch, channelStats, FASHION_MNIST_NORMALIZATION, DEFAULT_AUGMENTATION } from '../data/batch.js';
export { loadRunDataset, loadRunSplits, runTestSet, runDatasetAt, type RunDataOptions, type RunTestSetOptions } from '../run/runData.js';
export type { Normalization, Augmentation, Task, DataSourceSpec, IdxSource, ImageFolderSource, CsvSource, MemorySource } from '../schema/data.js';
export { TASKS } from '../schema/data.js';
