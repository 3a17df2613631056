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
 * Errors whose kind is known, keyed by their string `code` (ours, Node's) or, for errors
 * without one, by their `name`; `code` is what the job's error records for a nameless one.
 * Anything not listed is retryable: a transient fault (out of memory, a runtime hiccup)
 * deserves another attempt, and a persistent one costs at most maxAttempts before the
 * dead-letter path fails it.
 */
const knownErrors: Readonly<Record<string, { kind: ErrorKind; code?: string }>> = {
  invalid_request: { kind: 'permanent' },
  prompt_too_long: { kind: 'permanent' },
  max_attempts_exceeded: { kind: 'permanent' },
  ERR_INVALID_ARG_TYPE: { kind: 'permanent' },
  ERR_INVALID_ARG_VALUE: { kind: 'permanent' },
  ERR_OUT_OF_RANGE: { kind: 'permanent' },
  ENOMEM: { kind: 'retryable' },
  ETIMEDOUT: { kind: 'retryable' },
  // The engine refuses a request it cannot run before computing (worker/src/engine).
  GenerationRequestError: { kind: 'permanent', code: 'invalid_request' },
};

export function classifyError(error: unknown): ErrorKind {
  if (error instanceof PermanentJobError) {
    return 'permanent';
  }
  if (error instanceof RetryableJobError) {
    return 'retryable';
  }
  return knownErrors[ownCode(error) ?? errorName(error)]?.kind ?? 'retryable';
}

/** The code a failed job records: the error's own, its table entry's, or 'generation_failed'. */
export function errorCode(error: unknown): string {
  return ownCode(error) ?? knownErrors[errorName(error)]?.code ?? 'generation_failed';
}

function ownCode(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string' && code.length > 0) {
      return code;
    }
  }
  return null;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Anything thrown, as an Error; a non-Error value is kept as `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  return new Error(`non-error thrown: ${String(thrown)}`, { cause: thrown });
}
