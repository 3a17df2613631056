import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { ByteRange, ModelFile, ModelSource } from '../ports/model-source.ts';
import { crc32cCombine, crc32cToBase64 } from './crc32c.ts';
import { fetchRange } from './fetch-range.ts';
import { ChecksumMismatchError } from './hydration-errors.ts';
import { type RetryOptions, withRetry } from './retry-policy.ts';

export interface DownloadContext {
  source: ModelSource;
  /** Shared by every file: bounds the requests in flight across the whole model. */
  limit: LimitFunction;
  chunkBytes: number;
  retry: RetryOptions;
  /** Whole-file re-downloads after a checksum mismatch, the first included. */
  verifyAttempts: number;
  stallTimeoutMs: number;
  /** Bytes received (+) and bytes thrown away by a retry (−), for progress. */
  onBytes: (delta: number) => void;
  onRetry: (file: ModelFile, error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Downloads one file to `target` and verifies it against the source's checksum before
 * returning. Large files are fetched as parallel byte ranges written at their offsets;
 * each range keeps its own CRC32C and the whole-file CRC is their ordered combination, so
 * nothing is read twice. A failed range is retried alone (back-off + jitter); a checksum
 * mismatch re-downloads the file, up to verifyAttempts, then fails closed.
 */
export async function downloadFile(
  context: DownloadContext,
  file: ModelFile,
  target: string,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  // md5 can't be combined across ranges: an md5-only file is read in one stream.
  const md5Only = file.crc32c === undefined && file.md5 !== undefined;
  const ranges = splitRanges(
    file.sizeBytes,
    md5Only ? Number.POSITIVE_INFINITY : context.chunkBytes,
  );
  for (let attempt = 1; ; attempt += 1) {
    const results = await fetchAllRanges(context, file, ranges, target, md5Only);
    const problem = checksumProblem(file, ranges, results);
    if (problem === undefined) {
      return;
    }
    context.onBytes(-file.sizeBytes);
    if (attempt >= context.verifyAttempts) {
      throw new ChecksumMismatchError(
        `${context.source.description}/${file.path} (version ${file.version}): ${problem} after ${attempt} downloads`,
      );
    }
    context.onRetry(file, new ChecksumMismatchError(problem), attempt, 0);
  }
}

/**
 * Fetches every range into the file. When one range fails for good, the ranges not yet
 * started are skipped and the ones in flight are awaited before the file is closed.
 */
async function fetchAllRanges(
  context: DownloadContext,
  file: ModelFile,
  ranges: (ByteRange | undefined)[],
  target: string,
  withMd5: boolean,
): Promise<Checksums[]> {
  const handle = await open(target, 'w');
  const failed = new AbortController();
  try {
    await handle.truncate(file.sizeBytes);
    const settled = await Promise.allSettled(
      ranges.map((range) =>
        context.limit(async () => {
          failed.signal.throwIfAborted();
          try {
            return await fetchWithRetry(context, file, range, handle, withMd5, failed.signal);
          } catch (error) {
            failed.abort(error);
            throw error;
          }
        }),
      ),
    );
    if (failed.signal.aborted) {
      throw failed.signal.reason;
    }
    return settled.map((result) => (result as PromiseFulfilledResult<Checksums>).value);
  } finally {
    await handle.close();
  }
}

interface Checksums {
  crc32c: number;
  md5?: string;
}

async function fetchWithRetry(
  context: DownloadContext,
  file: ModelFile,
  range: ByteRange | undefined,
  handle: FileHandle,
  withMd5: boolean,
  fileFailed: AbortSignal,
): Promise<Checksums> {
  let counted = 0;
  const signal = context.signal ? AbortSignal.any([context.signal, fileFailed]) : fileFailed;
  return withRetry(
    async () => {
      // A retried range starts over: forget what its failed attempt counted.
      context.onBytes(-counted);
      counted = 0;
      const md5 = withMd5 ? createHash('md5') : undefined;
      const fetched = await fetchRange(context.source, file, range, handle, {
        stallTimeoutMs: context.stallTimeoutMs,
        onBytes: (count) => {
          counted += count;
          context.onBytes(count);
        },
        ...(md5 ? { hash: md5 } : {}),
        signal,
      });
      return { crc32c: fetched.crc32c, ...(md5 ? { md5: md5.digest('base64') } : {}) };
    },
    context.retry,
    (error, attempt, delayMs) => context.onRetry(file, error, attempt, delayMs),
    signal,
  );
}

/** Byte ranges of at most chunkBytes; undefined (the whole file) when one request does. */
function splitRanges(size: number, chunkBytes: number): (ByteRange | undefined)[] {
  if (size <= chunkBytes) {
    return [undefined];
  }
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += chunkBytes) {
    ranges.push({ start, end: Math.min(size, start + chunkBytes) - 1 });
  }
  return ranges;
}

function checksumProblem(
  file: ModelFile,
  ranges: (ByteRange | undefined)[],
  results: Checksums[],
): string | undefined {
  if (file.crc32c !== undefined) {
    let whole = 0;
    for (const [i, range] of ranges.entries()) {
      const length = range ? range.end - range.start + 1 : file.sizeBytes;
      whole = crc32cCombine(whole, results[i]?.crc32c ?? 0, length);
    }
    const actual = crc32cToBase64(whole);
    return actual === file.crc32c
      ? undefined
      : `crc32c ${actual} does not match the source's ${file.crc32c}`;
  }
  if (file.md5 !== undefined) {
    const md5 = results[0]?.md5;
    return md5 === file.md5 ? undefined : `md5 ${md5} does not match the source's ${file.md5}`;
  }
  return undefined;
}
