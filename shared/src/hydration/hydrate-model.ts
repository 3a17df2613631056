import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ModelFile, ModelSource } from '../ports/model-source.ts';
import {
  type CacheLayout,
  cacheLayout,
  clearStaging,
  currentModelDir,
  linkInto,
  publish,
  removeOthers,
} from './cache-layout.ts';
import { filesPresent, planHydration, readManifest, writeManifest } from './cache-manifest.ts';
import { type DownloadContext, downloadFile } from './download-file.ts';
import { withHostLock } from './host-lock.ts';
import { HydrationError } from './hydration-errors.ts';
import {
  type HydrationLogger,
  type HydrationProgress,
  MB,
  ProgressMeter,
  stderrLogger,
} from './hydration-progress.ts';
import { checkModelPaths } from './model-paths.ts';
import { type RetryOptions, withRetry } from './retry-policy.ts';

export interface HydrateOptions {
  source: ModelSource;
  /** Host-local cache folder; shared by every worker process on the host. */
  cacheDir: string;
  /** Requests in flight across the whole model. */
  concurrency?: number;
  /** Files larger than this are fetched as parallel ranges of this size. */
  chunkBytes?: number;
  logger?: HydrationLogger;
  onProgress?: (progress: HydrationProgress) => void;
  progressIntervalMs?: number;
  retry?: Partial<RetryOptions>;
  verifyAttempts?: number;
  /** A body that delivers nothing for this long is abandoned and retried. */
  stallTimeoutMs?: number;
  lockStaleMs?: number;
  signal?: AbortSignal;
}

export interface HydrationResult {
  /** The verified model folder to load (absolute; stays valid while a newer one is published). */
  modelDir: string;
  source: string;
  files: number;
  totalBytes: number;
  downloadedFiles: number;
  downloadedBytes: number;
  reusedFiles: number;
  seconds: number;
  mbPerSecond: number;
  /** Time spent waiting for another process on this host to finish hydrating. */
  lockWaitSeconds: number;
}

// Every tunable in one place. Loopback and GCS both reward several requests in flight;
// ranges of 16 MiB keep a 500 MB file spread over all of them.
const defaults = {
  concurrency: 8,
  chunkBytes: 16 * 1024 * 1024,
  progressIntervalMs: 1000,
  retry: { attempts: 6, baseDelayMs: 250, maxDelayMs: 8000 } satisfies RetryOptions,
  verifyAttempts: 3,
  stallTimeoutMs: 30_000,
  lockStaleMs: 20_000,
};

/**
 * Makes `cacheDir` hold a verified copy of the model at `source` and returns its folder.
 * Unchanged caches are reused without downloading (checked by object version); changed or
 * new files are downloaded in parallel, verified, and published atomically together with
 * the unchanged ones. Processes on one host take turns through a lock, so the model is
 * downloaded once and the others reuse it. Fails closed: on any error, nothing new is
 * published and the staging folder is removed.
 */
export async function hydrateModel(options: HydrateOptions): Promise<HydrationResult> {
  const started = performance.now();
  const logger = options.logger ?? stderrLogger;
  // Resolved once, so every folder path handed out or compared is canonical.
  await mkdir(options.cacheDir, { recursive: true });
  const layout = cacheLayout(await realpath(options.cacheDir));
  const retry = { ...defaults.retry, ...options.retry };
  const list = async () => {
    try {
      const files = await withRetry(
        () => options.source.list(),
        retry,
        (error, attempt, delayMs) =>
          logger.warn({ attempt, delayMs, error: String(error) }, 'retrying model listing'),
        options.signal,
      );
      return checkModelPaths(files);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HydrationError(`listing ${options.source.description} failed: ${reason}`, {
        cause: error,
      });
    }
  };

  let listed = await list();
  const nothing = { files: 0, bytes: 0 };
  const cached = await reusableCache(layout, options.source.description, listed);
  if (cached) {
    return summarize(logger, options, listed, cached, nothing, started, 0);
  }

  let waitStarted: number | undefined;
  return withHostLock(
    layout.lock,
    async () => {
      const waited = waitStarted === undefined ? 0 : (performance.now() - waitStarted) / 1000;
      if (waitStarted !== undefined) {
        // Another process was hydrating: it may have fetched this very model, or a newer one.
        listed = await list();
        const reused = await reusableCache(layout, options.source.description, listed);
        if (reused) {
          return summarize(logger, options, listed, reused, nothing, started, waited);
        }
      }
      const { modelDir, downloaded } = await hydrateLocked(layout, listed, options, logger);
      return summarize(logger, options, listed, modelDir, downloaded, started, waited);
    },
    {
      staleMs: options.lockStaleMs ?? defaults.lockStaleMs,
      onWait: () => {
        waitStarted = performance.now();
        logger.info(
          { cacheDir: options.cacheDir },
          'another process is hydrating this cache; waiting',
        );
      },
      onCompromised: (error) =>
        logger.warn({ error: error.message }, 'hydration lock was taken over by another process'),
    },
  );
}

async function reusableCache(
  layout: CacheLayout,
  source: string,
  listed: ModelFile[],
): Promise<string | undefined> {
  const modelDir = await currentModelDir(layout);
  if (modelDir === undefined) {
    return undefined;
  }
  const plan = planHydration(listed, source, await readManifest(modelDir));
  return plan.upToDate && (await filesPresent(modelDir, listed)) ? modelDir : undefined;
}

async function hydrateLocked(
  layout: CacheLayout,
  listed: ModelFile[],
  options: HydrateOptions,
  logger: HydrationLogger,
): Promise<{ modelDir: string; downloaded: { files: number; bytes: number } }> {
  const previous = await currentModelDir(layout);
  const manifest = previous ? await readManifest(previous) : undefined;
  const plan = planHydration(listed, options.source.description, manifest);
  // Only one process holds the lock: a staging folder found now was left by a crash.
  await clearStaging(layout);
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const stagingDir = join(layout.staging, id);
  await mkdir(stagingDir, { recursive: true });
  const fetchBytes = plan.fetch.reduce((sum, file) => sum + file.sizeBytes, 0);
  logger.info(
    {
      source: options.source.description,
      fetchFiles: plan.fetch.length,
      fetchBytes,
      reuseFiles: plan.reuse.length,
    },
    'hydrating model',
  );
  const meter = new ProgressMeter(
    { bytes: fetchBytes, files: plan.fetch.length },
    options.progressIntervalMs ?? defaults.progressIntervalMs,
    (progress) => {
      options.onProgress?.(progress);
      logger.info({ ...progress }, `hydration ${progress.percent}% (${progress.mbPerSecond} MB/s)`);
    },
  );
  try {
    for (const file of plan.reuse) {
      await linkInto(join(previous as string, file.path), join(stagingDir, file.path));
    }
    const context = downloadContext(options, meter, logger);
    // Largest first, so the long ranged downloads start while small files fill the gaps.
    const ordered = [...plan.fetch].sort((a, b) => b.sizeBytes - a.sizeBytes);
    await Promise.all(
      ordered.map(async (file) => {
        await downloadFile(context, file, join(stagingDir, file.path));
        meter.fileDone();
      }),
    );
    await writeManifest(stagingDir, {
      format: 1,
      source: options.source.description,
      hydratedAt: new Date().toISOString(),
      files: listed,
    });
    const modelDir = await publish(layout, stagingDir, id);
    await removeOthers(layout, [modelDir, previous]);
    // Stopped here, not inside the optional call: `a?.(b())` skips b() when a is unset.
    const final = meter.stop();
    options.onProgress?.(final);
    return { modelDir, downloaded: { files: plan.fetch.length, bytes: fetchBytes } };
  } catch (error) {
    meter.stop();
    await clearStaging(layout);
    const reason = error instanceof Error ? error.message : String(error);
    throw new HydrationError(
      `hydrating the model from ${options.source.description} failed; nothing was published: ${reason}`,
      { cause: error },
    );
  }
}

function downloadContext(
  options: HydrateOptions,
  meter: ProgressMeter,
  logger: HydrationLogger,
): DownloadContext {
  return {
    source: options.source,
    limit: pLimit(options.concurrency ?? defaults.concurrency),
    chunkBytes: options.chunkBytes ?? defaults.chunkBytes,
    retry: { ...defaults.retry, ...options.retry },
    verifyAttempts: options.verifyAttempts ?? defaults.verifyAttempts,
    stallTimeoutMs: options.stallTimeoutMs ?? defaults.stallTimeoutMs,
    onBytes: (delta) => meter.add(delta),
    onRetry: (file, error, attempt, delayMs) =>
      logger.warn(
        { file: file.path, attempt, delayMs: Math.round(delayMs), error: String(error) },
        `retrying ${file.path}`,
      ),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function summarize(
  logger: HydrationLogger,
  options: HydrateOptions,
  listed: ModelFile[],
  modelDir: string,
  downloaded: { files: number; bytes: number },
  started: number,
  lockWaitSeconds: number,
): HydrationResult {
  const seconds = (performance.now() - started) / 1000;
  const result: HydrationResult = {
    modelDir,
    source: options.source.description,
    files: listed.length,
    totalBytes: listed.reduce((sum, file) => sum + file.sizeBytes, 0),
    downloadedFiles: downloaded.files,
    downloadedBytes: downloaded.bytes,
    reusedFiles: listed.length - downloaded.files,
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: seconds > 0 ? Math.round((100 * downloaded.bytes) / MB / seconds) / 100 : 0,
    lockWaitSeconds: Math.round(lockWaitSeconds * 1000) / 1000,
  };
  logger.info(
    { ...result },
    `model ready: ${result.files} files, ${(result.downloadedBytes / MB).toFixed(1)} MB downloaded ` +
      `(${result.reusedFiles} reused) in ${result.seconds.toFixed(2)} s ` +
      `(${result.mbPerSecond} MB/s) from ${result.source}`,
  );
  return result;
}
