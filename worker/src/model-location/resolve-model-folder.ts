import { resolve } from 'node:path';
import { GcsModelSource } from '@warmgen/shared/adapters/gcs/gcs-model-source.ts';
import type { ModelLocation } from '@warmgen/shared/config/model-location.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import type { HydrationProgress } from '@warmgen/shared/hydration/hydration-progress.ts';
import type { Logger } from '@warmgen/shared/logging/logger.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';

export interface ResolvedModelFolder {
  /** Local folder transformers.js loads from. */
  dir: string;
  /** Where it came from, for the start-up log line. */
  origin: string;
  /** True for the built-in stand-in: its output is random text. */
  standIn: boolean;
}

export type ModelFolderLogger = Pick<Logger, 'info' | 'warn'>;

/**
 * Turns MODEL_URI into a local model folder: the built-in tiny stand-in (built once into
 * the cache), a local folder as it is, or a Cloud Storage folder hydrated once per host
 * into the cache and verified. `storageApiEndpoint` (STORAGE_API_ENDPOINT) points gs://
 * reads at another Cloud Storage API origin, such as the local test server; null means
 * the real service.
 */
export async function resolveModelFolder(
  location: ModelLocation,
  modelCacheDir: string,
  logger: ModelFolderLogger,
  storageApiEndpoint: string | null = null,
  /** Hydration's progress (a gs:// folder only), for the worker's heartbeat. */
  onProgress?: (progress: HydrationProgress) => void,
): Promise<ResolvedModelFolder> {
  switch (location.kind) {
    case 'builtin': {
      const dir = await ensureModel('tiny', { cacheDir: resolve(modelCacheDir) });
      logger.warn(
        { modelDir: dir },
        'MODEL_URI is unset: serving the built-in stand-in model (GPT-2 architecture and ' +
          'tokenizer, RANDOM weights), so output is random text. To serve real GPT-2, set ' +
          'MODEL_URI to a folder with a GPT-2 ONNX export (config.json, tokenizer.json, ' +
          'tokenizer_config.json, onnx/model.onnx), e.g. MODEL_URI=file:///models/gpt2, ' +
          'or to gs://bucket/prefix.',
      );
      return { dir, origin: 'built-in stand-in (random weights)', standIn: true };
    }
    case 'file':
      return { dir: resolve(location.path), origin: location.path, standIn: false };
    case 'gcs': {
      const source = new GcsModelSource({
        bucket: location.bucket,
        prefix: location.prefix,
        ...(storageApiEndpoint === null ? {} : { apiEndpoint: storageApiEndpoint }),
      });
      // The process's logger, so hydration's progress lines carry its bound fields too.
      const result = await hydrateModel({
        source,
        cacheDir: resolve(modelCacheDir),
        logger,
        ...(onProgress === undefined ? {} : { onProgress }),
      });
      return { dir: result.modelDir, origin: result.source, standIn: false };
    }
  }
}
