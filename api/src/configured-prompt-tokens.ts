import { join, resolve } from 'node:path';
import { GcsModelSource } from '@warmgen/shared/adapters/gcs/gcs-model-source.ts';
import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { PromptTokens } from '@warmgen/shared/domain/prompt-length.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import { subsetSource } from '@warmgen/shared/hydration/subset-source.ts';
import type { Logger } from '@warmgen/shared/logging/logger.ts';
import {
  loadPromptTokens,
  promptTokenFiles,
} from '@warmgen/shared/tokenizer/load-prompt-tokens.ts';

/**
 * The API process's prompt counter, from the model its workers load (MODEL_URI): a local
 * folder as it is; a gs:// folder's config.json and tokenizer files, hydrated with the
 * workers' code into a cache of their own (a few MB, not the weights). The built-in
 * stand-in has no folder until a worker builds it, so there the API does not count and the
 * worker's own check fails a job that does not fit.
 */
export async function configuredPromptTokens(
  config: Pick<Config, 'model' | 'modelCacheDir' | 'storageApiEndpoint'>,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<PromptTokens | null> {
  const location = config.model;
  switch (location.kind) {
    case 'builtin':
      logger.warn(
        {},
        'MODEL_URI is unset: the API has no tokenizer for the stand-in model, so prompt + ' +
          "max_new_tokens past the model's positions is refused by the worker, not at submit",
      );
      return null;
    case 'file':
      return loadPromptTokens(resolve(location.path));
    case 'gcs': {
      const source = new GcsModelSource({
        bucket: location.bucket,
        prefix: location.prefix,
        ...(config.storageApiEndpoint === null ? {} : { apiEndpoint: config.storageApiEndpoint }),
      });
      const hydrated = await hydrateModel({
        source: subsetSource(source, promptTokenFiles),
        // Apart from the workers' cache: a partial folder must never be published as theirs.
        cacheDir: join(resolve(config.modelCacheDir), 'api-tokenizer'),
        logger,
      });
      return loadPromptTokens(hydrated.modelDir);
    }
  }
}
