import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { HydrationProgress } from '@warmgen/shared/hydration/hydration-progress.ts';
import type { LogMethod } from '@warmgen/shared/logging/logger.ts';
import type { GenerationEngine } from '../engine/generation-engine.ts';
import { mallocTunablesWarning } from '../engine/malloc-tunables.ts';
import { loadThreadedEngine } from '../engine/threaded-engine.ts';
import { type ModelFolderLogger, resolveModelFolder } from './resolve-model-folder.ts';

/** Model-folder logging, and fatal for the line before the exit. */
type StartupLogger = ModelFolderLogger & { fatal: LogMethod };

/**
 * For the mains: makes the model folder local (build, path or hydration), loads it once in
 * a thread of its own (see threaded-engine.ts), and returns the warm engine. A model that
 * cannot be had (missing folder, bad file, failed hydration) stops the process with one
 * log line that names it, and exit code 1; so does an engine thread that dies later.
 */
export async function loadModelOrExit(
  config: Config,
  log: StartupLogger,
  progress: {
    /** Hydration's progress, while a gs:// folder downloads (the heartbeat's hydrating). */
    onHydration?: (progress: HydrationProgress) => void;
    /** The folder is local and the engine starts loading. */
    onLoading?: () => void;
  } = {},
): Promise<{ engine: GenerationEngine; origin: string; dir: string }> {
  try {
    const model = await resolveModelFolder(
      config.model,
      config.modelCacheDir,
      log,
      config.storageApiEndpoint,
      progress.onHydration,
    );
    progress.onLoading?.();
    const warning = mallocTunablesWarning();
    if (warning !== null) {
      log.warn({}, warning);
    }
    const engine = await loadThreadedEngine(
      {
        modelDir: model.dir,
        device: config.device,
        dtype: config.modelDtype,
        ...(config.maxBatch === null ? {} : { maxBatchSize: config.maxBatch }),
        ...(config.kvCacheMb === null ? {} : { kvBudgetBytes: config.kvCacheMb * 2 ** 20 }),
      },
      {
        // Jobs in flight are released by their leases running out; a restart serves again.
        onLog: (message) => log.info({}, message),
        onExit: (error) => {
          log.fatal({ err: error }, `the engine thread died: ${error.message}`);
          process.exit(1);
        },
      },
    );
    return { engine, origin: model.origin, dir: model.dir };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.fatal({ err: error }, `the model could not be loaded: ${message}`);
    process.exit(1);
  }
}
