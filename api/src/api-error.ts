/**
 * Every error the API returns has one shape: `{error: {code, message, details?}}`.
 * An ApiError carries the HTTP status and that body; the error handler sends it as is.
 */
export interface ErrorDetail {
  /** Where the problem is: `body/params/temperature`, `line 3/custom_id`, `headers/prefer`. */
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

/** The codes clients can switch on, with the status each one goes with. */
export const errorCodes = {
  invalid_json: 400,
  invalid_utf8: 400,
  empty_body: 400,
  validation_failed: 400,
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_key_reused: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  duplicate_custom_id: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  storage_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = errorCodes[code];
    this.details = details;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: string, message: string, details?: ErrorDetail[]): ErrorBody {
  return details && details.length > 0
    ? { error: { code, message, details } }
    : { error: { code, message } };
}
