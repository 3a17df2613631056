import type { ErrorBody } from './types.ts';

/**
 * A 4xx/5xx answer from warmgen, with the body's `code`, `message` and `details` (each
 * detail names a field: `line 3/params/temperature`). Thrown by the client's helpers so a
 * caller handles one error type; `status` tells a caller's mistake (4xx) from the server's.
 */
export class WarmgenApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: NonNullable<ErrorBody['error']['details']>;

  constructor(status: number, body: unknown) {
    const error = isErrorBody(body) ? body.error : null;
    super(error?.message ?? `HTTP ${status} without warmgen's error body`);
    this.name = 'WarmgenApiError';
    this.status = status;
    this.code = error?.code ?? 'http_error';
    this.details = error?.details ?? [];
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** openapi-fetch's `{data, error, response}`: the data, or a WarmgenApiError. */
export function dataOf<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new WarmgenApiError(result.response.status, result.error);
  }
  return result.data;
}
