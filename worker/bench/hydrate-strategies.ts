import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Storage, TransferManager } from '@google-cloud/storage';
import { GcsModelSource } from '@warmgen/shared/adapters/gcs/gcs-model-source.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';

/**
 * The ways of getting a model folder out of Cloud Storage that `bench:hydrate` compares,
 * each run in a child process of its own so its peak RSS is its own:
 * - warmgen-cold: hydrateModel into an empty cache (parallel ranges, CRC32C of every file);
 * - warmgen-warm: hydrateModel again on that cache (the restart path: list + compare);
 * - transfer-manager: what Google's Cloud Run GPU guidance suggests with this client:
 *   TransferManager.downloadFileInChunks (crc32c-validated) for files of 32 MiB and more,
 *   downloadManyFiles (validated per file) for the rest, side by side;
 * - sequential: one validated file.download() after another.
 */
export const STRATEGIES = [
  'warmgen-cold',
  'warmgen-warm',
  'transfer-manager',
  'sequential',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface StrategyInput {
  url: string;
  bucket: string;
  prefix: string;
  /** warmgen: the cache folder; the others: the destination folder. */
  dir: string;
  concurrency: number;
  chunkBytes: number;
}

export interface StrategyResult {
  strategy: Strategy;
  files: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  rssStartMb: number;
  peakRssMb: number;
  rssGrowthMb: number;
  /** Peaks of process.memoryUsage() sampled every 20 ms: where the RSS growth comes from. */
  peakHeapTotalMb: number;
  peakArrayBuffersMb: number;
}

const MIB = 1024 * 1024;
const TM_CHUNKED_THRESHOLD = 32 * MIB;

async function procStatusMb(field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

/** Resets VmHWM (the peak) to the current RSS, so the peak measured is this run's. */
async function resetPeakRss(): Promise<void> {
  await writeFile('/proc/self/clear_refs', '5').catch(() => {});
}

export async function runStrategy(
  strategy: Strategy,
  input: StrategyInput,
): Promise<StrategyResult> {
  const storage = new Storage({ apiEndpoint: input.url, projectId: 'bench' });
  await resetPeakRss();
  const rssStartMb = await procStatusMb('VmRSS');
  const peaks = { heapTotal: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peaks.heapTotal = Math.max(peaks.heapTotal, usage.heapTotal);
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, usage.arrayBuffers);
  }, 20);
  const started = performance.now();
  const { files, bytes } = await download(strategy, storage, input).finally(() =>
    clearInterval(sampler),
  );
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = await procStatusMb('VmHWM');
  return {
    strategy,
    files,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: Math.round((bytes / 1e6 / seconds) * 10) / 10,
    rssStartMb,
    peakRssMb,
    rssGrowthMb: peakRssMb - rssStartMb,
    peakHeapTotalMb: Math.round(peaks.heapTotal / MIB),
    peakArrayBuffersMb: Math.round(peaks.arrayBuffers / MIB),
  };
}

async function download(
  strategy: Strategy,
  storage: Storage,
  input: StrategyInput,
): Promise<{ files: number; bytes: number }> {
  if (strategy === 'warmgen-cold' || strategy === 'warmgen-warm') {
    const result = await hydrateModel({
      source: new GcsModelSource({ bucket: input.bucket, prefix: input.prefix, storage }),
      cacheDir: input.dir,
      concurrency: input.concurrency,
      chunkBytes: input.chunkBytes,
      logger: { info: () => {}, warn: (fields, message) => console.error(message, fields) },
    });
    return { files: result.files, bytes: result.downloadedBytes };
  }
  const bucket = storage.bucket(input.bucket);
  const [objects] = await bucket.getFiles({ prefix: `${input.prefix}/` });
  const bytes = objects.reduce((sum, object) => sum + Number(object.metadata.size), 0);
  const destinationOf = (name: string) => join(input.dir, name.slice(input.prefix.length + 1));
  for (const object of objects) {
    await mkdir(join(destinationOf(object.name), '..'), { recursive: true });
  }
  if (strategy === 'sequential') {
    for (const object of objects) {
      await object.download({ destination: destinationOf(object.name), validation: 'crc32c' });
    }
    return { files: objects.length, bytes };
  }
  const manager = new TransferManager(bucket);
  const large = objects.filter((object) => Number(object.metadata.size) >= TM_CHUNKED_THRESHOLD);
  const small = objects.filter((object) => Number(object.metadata.size) < TM_CHUNKED_THRESHOLD);
  const [many] = await Promise.all([
    manager.downloadManyFiles(small, {
      concurrencyLimit: input.concurrency,
      passthroughOptions: { destination: input.dir, validation: 'crc32c' },
      stripPrefix: `${input.prefix}/`,
    }),
    ...large.map((object) =>
      manager.downloadFileInChunks(object, {
        destination: destinationOf(object.name),
        // Its own default range size (32 MiB); the same number of requests in flight as warmgen.
        concurrencyLimit: input.concurrency,
        validation: 'crc32c',
        noReturnData: true,
      }),
    ),
  ]);
  // downloadManyFiles reports failures as skipped entries instead of throwing.
  const failed = (many ?? []).filter((entry) => (entry as { skipped?: boolean }).skipped);
  if (failed.length > 0) {
    throw new Error(`downloadManyFiles skipped ${failed.length} file(s)`);
  }
  return { files: objects.length, bytes };
}
