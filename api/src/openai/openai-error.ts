import type { ErrorBody } from '../api-error.ts';

/**
 * Errors on /openai/v1 have OpenAI's shape, `{error: {message, type, param, code}}`, which
 * the official SDKs read (`err.status`, `err.code`, `err.param`, `err.type`). Routes of
 * this surface throw OpenAiError for what has no native code (model_not_found); every
 * other error (validation, auth, rate limit, storage) is made by the native handlers and
 * reshaped on its way out by `toOpenAiErrorBody`, so there is one place per decision.
 */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  readonly statusCode: number;
  readonly body: OpenAiErrorBody;

  constructor(
    statusCode: number,
    fields: { message: string; code: string; param?: string | null; type?: string },
  ) {
    super(fields.message);
    this.name = 'OpenAiError';
    this.statusCode = statusCode;
    this.body = {
      error: {
        message: fields.message,
        type: fields.type ?? typeOfStatus(statusCode),
        param: fields.param ?? null,
        code: fields.code,
      },
    };
  }
}

/** The `type` OpenAI gives each status. */
function typeOfStatus(status: number): string {
  if (status === 401) {
    return 'authentication_error';
  }
  if (status === 403) {
    return 'permission_error';
  }
  if (status === 429) {
    return 'rate_limit_error';
  }
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** OpenAI's codes where ours differ in name; the rest keep ours. */
const codeNames: Record<string, string> = {
  unauthorized: 'invalid_api_key',
  rate_limited: 'rate_limit_exceeded',
};

/**
 * A native error body in OpenAI's shape. `param` is the most specific field named: for
 * `prompt: ["ok", ""]` the union's branches say both `prompt must be string` and
 * `prompt/1 must not be empty`, and the second is the one to fix.
 */
export function toOpenAiErrorBody(status: number, native: ErrorBody): OpenAiErrorBody {
  const { code, message, details } = native.error;
  const field = details
    ?.map((detail) => detail.field)
    .reduce((deepest, next) =>
      next.split('/').length > deepest.split('/').length ? next : deepest,
    );
  return {
    error: {
      message,
      type: typeOfStatus(status),
      param: field === undefined ? null : paramOf(field),
      code: codeNames[code] ?? code,
    },
  };
}

/** `body/prompt/1` -> `prompt[1]`, `querystring/limit` -> `limit`; `line 3/…` stays. */
export function paramOf(field: string): string {
  const parts = field.split('/');
  const isPart = ['body', 'querystring', 'params', 'headers'].includes(parts[0] ?? '');
  return dottedPath(isPart ? parts.slice(1) : parts);
}

/** Path segments as OpenAI writes a param: `['body', 'stop', '2']` -> `body.stop[2]`. */
export function dottedPath(parts: readonly string[]): string {
  return parts
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

export function isNativeErrorBody(value: unknown): value is ErrorBody {
  const error = (value as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'string' &&
    typeof error.message === 'string' &&
    !('type' in error)
  );
}
