import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { readModelLocation } from './model-location.ts';
import { type Env, readInteger, readString } from './parse-env.ts';

/**
 * The OpenAI-compatible surface (/openai/v1): the model id it serves and the limits on
 * uploaded batch files. OpenAI's own limits are the defaults, so a file OpenAI would take
 * is taken here too unless a deployment lowers them.
 */
export interface OpenAiConfig {
  /**
   * MODEL_NAME: the one model id /openai/v1/models lists and requests must name. A request
   * for another model is a 404 model_not_found (see api/src/openai/served-model.ts).
   */
  readonly modelName: string;
  /** OPENAI_MAX_FILE_BYTES: largest upload, in bytes (OpenAI: 200 MB). */
  readonly maxFileBytes: number;
  /** OPENAI_MAX_FILE_LINES: most request lines in one batch input file (OpenAI: 50,000). */
  readonly maxFileLines: number;
  /**
   * OPENAI_FILES_URI: the Cloud Storage folder (gs://bucket/prefix) of uploaded files on
   * BACKEND=gcp; null when unset, and then Files and Batches answer 503 there. The
   * embedded backend keeps files in its SQLite database and ignores it.
   */
  readonly filesLocation: { readonly bucket: string; readonly prefix: string } | null;
}

export function readOpenAiConfig(env: Env): OpenAiConfig {
  return {
    modelName: readString(env, 'MODEL_NAME', defaults.modelName),
    maxFileBytes: readInteger(
      env,
      'OPENAI_MAX_FILE_BYTES',
      { min: 1_024, max: defaults.openaiMaxFileBytes },
      defaults.openaiMaxFileBytes,
    ),
    maxFileLines: readInteger(
      env,
      'OPENAI_MAX_FILE_LINES',
      { min: 1, max: defaults.openaiMaxFileLines },
      defaults.openaiMaxFileLines,
    ),
    filesLocation: readFilesLocation(env),
  };
}

function readFilesLocation(env: Env): OpenAiConfig['filesLocation'] {
  if (env.OPENAI_FILES_URI === undefined || env.OPENAI_FILES_URI.trim() === '') {
    return defaults.openaiFilesUri;
  }
  const location = readModelLocation(env, 'OPENAI_FILES_URI');
  if (location.kind !== 'gcs') {
    throw new ConfigError(
      'OPENAI_FILES_URI',
      `OPENAI_FILES_URI must be a gs://bucket/prefix, got "${env.OPENAI_FILES_URI}"`,
    );
  }
  return Object.freeze({ bucket: location.bucket, prefix: location.prefix });
}
