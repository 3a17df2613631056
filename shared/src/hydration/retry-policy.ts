import { setTimeout as sleep } from 'node:timers/promises';
import { StalledBodyError, TruncatedBodyError } from './hydration-errors.ts';

export interface RetryOptions {
  /** Tries per request, the first included. */
  attempts: number;
  /** First back-off; doubles per attempt up to maxDelayMs, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

// The one table that decides what is worth another try: throttling, server errors and
// broken transfers. Anything else (403, 404 of a pinned generation, disk errors) is not.
const retryableStatuses = new Set([408, 429, 500, 502, 503, 504]);
const retryableCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);
const retryableMessages = /premature close|socket hang up|aborted|terminated|ECONNRESET/i;

export function isRetryable(error: unknown): boolean {
  if (error instanceof TruncatedBodyError || error instanceof StalledBodyError) {
    return true;
  }
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, status, message } = error as {
    code?: unknown;
    status?: unknown;
    message?: unknown;
  };
  const httpStatus = typeof code === 'number' ? code : typeof status === 'number' ? status : NaN;
  if (!Number.isNaN(httpStatus)) {
    return retryableStatuses.has(httpStatus);
  }
  if (typeof code === 'string' && retryableCodes.has(code)) {
    return true;
  }
  return typeof message === 'string' && retryableMessages.test(message);
}

/** Seconds from a Retry-After header on the error's response, if the server sent one. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { response?: { headers?: unknown } } | undefined)?.response?.headers;
  let value: unknown;
  if (headers instanceof Headers) {
    value = headers.get('retry-after');
  } else if (headers && typeof headers === 'object') {
    value = (headers as Record<string, unknown>)['retry-after'];
  }
  const seconds = Number(value);
  return value !== undefined && value !== null && Number.isFinite(seconds)
    ? seconds * 1000
    : undefined;
}

/** Exponential back-off with "equal jitter": half fixed, half random, so peers spread out. */
export function backoffMs(attempt: number, options: RetryOptions, error?: unknown): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const hinted = retryAfterMs(error);
  return hinted === undefined ? jittered : Math.min(options.maxDelayMs, Math.max(hinted, jittered));
}

/**
 * Runs `task` until it succeeds, a non-retryable error occurs, or attempts run out.
 * `onRetry` hears about each failure that will be retried (for logs and progress).
 */
export async function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error) || signal?.aborted) {
        throw error;
      }
      const delayMs = backoffMs(attempt, options, error);
      onRetry(error, attempt, delayMs);
      await sleep(delayMs, undefined, signal ? { signal } : {});
    }
  }
}
