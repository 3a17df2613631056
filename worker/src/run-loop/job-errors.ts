/**
 * Two kinds of error, each telling the worker what to do with the job:
 *   permanent  fail the job now; running it again cannot help (bad input, a bug in the row)
 *   retryable  release the job so it runs again, here or elsewhere; the queue's maxAttempts
 *              bounds the retries and the dead-letter path fails it with a reason
 * classifyError() is the one place that decides; everything else asks it.
 */
export const ErrorKind = {
  permanent: 'permanent',
  retryable: 'retryable',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Throw (or wrap with) this to fail a job at once, even when attempts remain. */
export class PermanentJobError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentJobError';
    this.code = code;
  }
}

/** Throw (or wrap with) this to release a job for another attempt. */
export class RetryableJobError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryableJobError';
    this.code = code;
  }
}

/**
 * Error codes (our own, Node's) whose kind is known. Anything not listed is retryable: a
 * transient fault (out of memory, a runtime hiccup) deserves another attempt, and a
 * persistent one costs at most maxAttempts before the dead-letter path fails it.
 */
const kindByCode: Readonly<Record<string, ErrorKind>> = {
  invalid_request: 'permanent',
  prompt_too_long: 'permanent',
  max_attempts_exceeded: 'permanent',
  ERR_INVALID_ARG_TYPE: 'permanent',
  ERR_INVALID_ARG_VALUE: 'permanent',
  ERR_OUT_OF_RANGE: 'permanent',
  ENOMEM: 'retryable',
  ETIMEDOUT: 'retryable',
};

export function classifyError(error: unknown): ErrorKind {
  if (error instanceof PermanentJobError) {
    return 'permanent';
  }
  if (error instanceof RetryableJobError) {
    return 'retryable';
  }
  return kindByCode[errorCode(error)] ?? 'retryable';
}

/** The error's own string `code` when it has one, else 'generation_failed'. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string' && code.length > 0) {
      return code;
    }
  }
  return 'generation_failed';
}

/** Anything thrown, as an Error; a non-Error value is kept as `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  return new Error(`non-error thrown: ${String(thrown)}`, { cause: thrown });
}
