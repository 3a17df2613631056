import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { RemoteModelObject } from '@warmgen/shared/adapters/gcs/gcs-model-destination.ts';
import { MANIFEST_FILE } from '@warmgen/shared/hydration/cache-manifest.ts';
import { crc32cToBase64, crc32cUpdate } from '@warmgen/shared/hydration/crc32c.ts';
import pLimit from 'p-limit';

/** What pushModel needs from the destination (GcsModelDestination, or a fake in tests). */
export interface ModelDestination {
  readonly description: string;
  list(): Promise<RemoteModelObject[]>;
  upload(
    localPath: string,
    path: string,
    options: {
      crc32c: string;
      ifGenerationMatch: string;
      onProgress?: (bytesSent: number) => void;
    },
  ): Promise<RemoteModelObject>;
  delete(path: string, generation: string): Promise<void>;
}

export interface PushOptions {
  dir: string;
  destination: ModelDestination;
  concurrency?: number;
  /** Delete remote objects under the prefix that the folder no longer has. */
  deleteExtra?: boolean;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export interface PushSummary {
  destination: string;
  files: number;
  uploadedFiles: number;
  uploadedBytes: number;
  unchangedFiles: number;
  /** Remote objects the folder does not have: deleted with deleteExtra, else only reported. */
  extraPaths: string[];
  deletedFiles: number;
  seconds: number;
}

interface LocalFile {
  path: string;
  absolute: string;
  sizeBytes: number;
  crc32c: string;
}

/**
 * Uploads a local model folder to the destination. Files whose size and CRC32C already
 * match the remote object are skipped, so an unchanged file keeps its generation and
 * workers don't download it again. Changed and new files are uploaded (resumable,
 * crc32c-checked, conditional on the generation seen).
 */
export async function pushModel(options: PushOptions): Promise<PushSummary> {
  const started = performance.now();
  const [local, remote] = await Promise.all([localFiles(options.dir), options.destination.list()]);
  const remoteByPath = new Map(remote.map((object) => [object.path, object]));
  const changed = local.filter((file) => {
    const existing = remoteByPath.get(file.path);
    return existing?.crc32c !== file.crc32c || existing.sizeBytes !== file.sizeBytes;
  });
  const totalBytes = changed.reduce((sum, file) => sum + file.sizeBytes, 0);
  const sent = new Map<string, number>();
  const report = () =>
    options.onProgress?.(
      [...sent.values()].reduce((sum, bytes) => sum + bytes, 0),
      totalBytes,
    );

  const limit = pLimit(options.concurrency ?? 4);
  await Promise.all(
    changed.map((file) =>
      limit(async () => {
        try {
          await options.destination.upload(file.absolute, file.path, {
            crc32c: file.crc32c,
            ifGenerationMatch: remoteByPath.get(file.path)?.generation ?? '0',
            onProgress: (bytes) => {
              sent.set(file.path, bytes);
              report();
            },
          });
        } catch (error) {
          // The client sometimes rejects with GCS's plain error object rather than an Error.
          const reason = (error as { message?: string }).message ?? String(error);
          throw new Error(
            `uploading ${file.path} to ${options.destination.description} failed: ${reason}`,
            { cause: error },
          );
        }
        sent.set(file.path, file.sizeBytes);
        report();
      }),
    ),
  );

  const localPaths = new Set(local.map((file) => file.path));
  const extra = remote.filter((object) => !localPaths.has(object.path));
  if (options.deleteExtra) {
    for (const object of extra) {
      await options.destination.delete(object.path, object.generation);
    }
  }
  return {
    destination: options.destination.description,
    files: local.length,
    uploadedFiles: changed.length,
    uploadedBytes: totalBytes,
    unchangedFiles: local.length - changed.length,
    extraPaths: extra.map((object) => object.path),
    deletedFiles: options.deleteExtra ? extra.length : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Every regular file under dir with its CRC32C (a hydration manifest is not model data). */
async function localFiles(dir: string): Promise<LocalFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: LocalFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name === MANIFEST_FILE) {
      continue;
    }
    const absolute = join(entry.parentPath, entry.name);
    let crc = 0;
    for await (const chunk of createReadStream(absolute, { highWaterMark: 1 << 20 })) {
      crc = crc32cUpdate(crc, chunk as Buffer);
    }
    files.push({
      path: relative(dir, absolute).split(sep).join('/'),
      absolute,
      sizeBytes: (await stat(absolute)).size,
      crc32c: crc32cToBase64(crc),
    });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}
