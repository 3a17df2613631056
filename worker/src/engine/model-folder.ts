import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFolderError } from './model-folder-error.ts';

/**
 * Checks a GPT-2 model folder up front, before the library sees it, so a bad folder gives
 * one clear error naming the file instead of a library stack trace (the library silently
 * skips a missing tokenizer_config.json, and onnxruntime reports a missing file as a
 * generic load failure). See /shared/docs/model-folder.md for the layout.
 */
export interface ModelFolder {
  dir: string;
  /** Data type transformers.js selects the ONNX file by ('fp32' = onnx/model.onnx). */
  dtype: string;
  onnxPath: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
  eosTokenId: number;
}

/** File name suffix per dtype, as transformers.js 4.x names the exported graphs. */
const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  bnb4: '_bnb4',
};

export async function checkModelFolder(dir: string): Promise<ModelFolder> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new ModelFolderError(dir, info ? 'is not a folder' : 'model folder does not exist');
  }

  const configPath = join(dir, 'config.json');
  const config = await readJsonObject(configPath);
  const positiveInt = (field: string): number => {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ModelFolderError(
        configPath,
        `"${field}" must be a positive integer, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  if (config.model_type !== 'gpt2') {
    throw new ModelFolderError(
      configPath,
      `"model_type" must be "gpt2", got ${JSON.stringify(config.model_type)}`,
    );
  }
  const nLayer = positiveInt('n_layer');
  const nHead = positiveInt('n_head');
  const nEmbd = positiveInt('n_embd');
  const nPositions = positiveInt('n_positions');
  const vocabSize = positiveInt('vocab_size');
  if (nEmbd % nHead !== 0) {
    throw new ModelFolderError(
      configPath,
      `"n_embd" (${nEmbd}) is not a multiple of "n_head" (${nHead})`,
    );
  }
  const eos = config.eos_token_id ?? 50256;
  if (typeof eos !== 'number' || !Number.isInteger(eos) || eos < 0 || eos >= vocabSize) {
    throw new ModelFolderError(
      configPath,
      `"eos_token_id" must be a token id, got ${JSON.stringify(eos)}`,
    );
  }

  // Both files are needed: without tokenizer_config.json transformers.js loads no tokenizer.
  await readJsonObject(join(dir, 'tokenizer.json'));
  await readJsonObject(join(dir, 'tokenizer_config.json'));

  const jsConfig = asObject(config['transformers.js_config']) ?? {};
  const dtype = typeof jsConfig.dtype === 'string' ? jsConfig.dtype : 'fp32';
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined) {
    throw new ModelFolderError(
      configPath,
      `"transformers.js_config.dtype" ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_SUFFIX).join(', ')}`,
    );
  }
  const onnxName = `model${suffix}.onnx`;
  const onnxPath = join(dir, 'onnx', onnxName);
  await requireFile(onnxPath, 'ONNX graph is missing');
  const chunks = externalDataChunks(jsConfig.use_external_data_format, onnxName);
  for (let i = 0; i < chunks; i++) {
    const dataPath = `${onnxPath}_data${i === 0 ? '' : `_${i}`}`;
    await requireFile(
      dataPath,
      'external weight data named by use_external_data_format is missing',
    );
  }

  return {
    dir,
    dtype,
    onnxPath,
    nLayer,
    nHead,
    nEmbd,
    nPositions,
    vocabSize,
    eosTokenId: eos,
  };
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelFolderError(path, 'file is missing');
    }
    throw new ModelFolderError(path, 'cannot be read', { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelFolderError(path, `is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const object = asObject(parsed);
  if (!object) {
    throw new ModelFolderError(path, 'must hold a JSON object');
  }
  return object;
}

async function requireFile(path: string, problem: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    throw new ModelFolderError(path, problem);
  }
  if (info.size === 0) {
    throw new ModelFolderError(path, 'file is empty');
  }
}

/** Mirrors transformers.js: true = 1 chunk, a number = that many, an object = per file. */
function externalDataChunks(setting: unknown, onnxName: string): number {
  if (typeof setting === 'boolean') {
    return setting ? 1 : 0;
  }
  if (typeof setting === 'number') {
    return setting;
  }
  const perFile = asObject(setting);
  if (perFile) {
    const value = perFile[onnxName] ?? perFile.model;
    return typeof value === 'number' ? value : value === true ? 1 : 0;
  }
  return 0;
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
