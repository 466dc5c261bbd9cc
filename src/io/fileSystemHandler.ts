import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.js';
import { temporarySibling } from './atomicWrite.js';
import { writeFileDurable } from './durableWrite.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface SavedFiles {
  /** sha256 (hex) of every file written, by file name. */
  sha256: Record<string, string>;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A TF.js IOHandler that saves a model to a directory as model.json + weights.bin (the TF.js layers format that
 * tf.loadLayersModel reads over HTTP) and loads it back. tfjs-node's file:// handler does the same but cannot be
 * installed here. Saving goes to a temporary sibling directory renamed into place, so a crash never leaves a
 * half-written snapshot, and it refuses to replace an existing directory.
 */
export class FileSystemHandler implements tf.io.IOHandler {
  /** sha256 of the files written by the last save. */
  lastSaved: SavedFiles | undefined;

  /** `jsonName`: the model file to load (saving always writes model.json). */
  constructor(
    readonly dir: string,
    readonly jsonName: string = MODEL_JSON,
  ) {}

  /** Writes model.json and weights.bin (each atomically) and records their sha256 in lastSaved. */
  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new Error('FileSystemHandler saves layers models (JSON topology), not binary graph models');
    }
    if (existsSync(this.dir)) throw new Error(`${this.dir} already exists; refusing to overwrite a saved model`);
    const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
    const jsonText = JSON.stringify(modelJson);
    const weightBytes = new Uint8Array(weights);

    mkdirSync(path.dirname(this.dir), { recursive: true });
    const tmp = temporarySibling(this.dir);
    try {
      mkdirSync(tmp);
      writeFileDurable(path.join(tmp, WEIGHTS_BIN), weightBytes);
      writeFileDurable(path.join(tmp, MODEL_JSON), jsonText);
      renameSync(tmp, this.dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    this.lastSaved = { sha256: { [MODEL_JSON]: sha256(jsonText), [WEIGHTS_BIN]: sha256(weightBytes) } };
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: jsonText.length,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
        weightDataBytes: weightBytes.byteLength,
      },
    };
  }

  /** Reads model.json and the weights it lists, verifying nothing (loadSnapshotModel verifies a run's). */
  async load(): Promise<tf.io.ModelArtifacts> {
    const jsonFile = path.join(this.dir, this.jsonName);
    let modelJson: tf.io.ModelJSON;
    try {
      modelJson = JSON.parse(readFileSync(jsonFile, 'utf8')) as tf.io.ModelJSON;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UserError(`${jsonFile}: no such file (missing snapshot?)`);
      throw new UserError(`${jsonFile}: not a valid model.json (${(e as Error).message})`);
    }
    if (modelJson === null || typeof modelJson !== 'object' || typeof modelJson.modelTopology !== 'object') {
      throw new UserError(`${jsonFile}: no modelTopology, not a TF.js layers model`);
    }
    return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(this.dir, p);
          if (path.relative(this.dir, file).startsWith('..')) throw new UserError(`${jsonFile}: weight path ${p} leaves the snapshot directory`);
          let bytes: Buffer;
          try {
            bytes = readFileSync(file);
          } catch {
            throw new UserError(`${file}: missing weight file`);
          }
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      }
      const weightData = tf.io.CompositeArrayBuffer.join(buffers);
      const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerElement(s.quantization?.dtype ?? s.dtype), 0);
      if (weightData.byteLength !== expected) {
        throw new UserError(`${this.dir}: weight files hold ${weightData.byteLength} bytes but model.json describes ${expected}`);
      }
      return [specs, weightData];
    });
  }
}

function bytesPerElement(dtype: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool' || dtype === 'uint8') return 1;
  // float16, int16 and uint16 are the stored types of TF.js's weight quantisation
  if (dtype === 'float16' || dtype === 'int16' || dtype === 'uint16') return 2;
  throw new UserError(`unsupported weight dtype ${dtype}`);
}

/** A handler that saves to / loads from a directory on disk. */
export function fileSystem(dir: string): FileSystemHandler {
  return new FileSystemHandler(dir);
}
