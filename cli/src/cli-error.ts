import { WarmgenApiError } from '@warmgen/client/api-error.ts';
import { type ExitCode, exitCodes } from './exit-codes.ts';

/** An error the CLI reports as one line on stderr, exiting with its code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(exitCodes.usage, message);

/**
 * Any failure of a command as a CliError: the one place that decides which exit code a
 * server answer or a network failure gets. `rename` turns the server's field names into
 * what the user typed (`body/params/max_new_tokens` into `--max-new-tokens`), and
 * `context` says what was being done (`prompts.jsonl`, `batch batch_…`).
 */
export function toCliError(
  error: unknown,
  { rename = {}, context }: { rename?: Record<string, string>; context?: string } = {},
): CliError {
  if (error instanceof CliError) {
    return error;
  }
  const prefix = context === undefined ? '' : `${context}: `;
  if (error instanceof WarmgenApiError) {
    let message = error.message;
    for (const [field, name] of Object.entries(rename)) {
      message = message.replaceAll(field, name);
    }
    const retryable = error.status >= 500 || error.status === 429;
    return new CliError(
      retryable ? exitCodes.unavailable : exitCodes.usage,
      `${prefix}${message} (HTTP ${error.status} ${error.code})`,
      { cause: error },
    );
  }
  if (isNetworkError(error)) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new CliError(
      exitCodes.unavailable,
      `${prefix}cannot reach the server (${cause?.code ?? cause?.message ?? String(error)}); is WARMGEN_URL right?`,
      { cause: error },
    );
  }
  return new CliError(exitCodes.unavailable, `${prefix}${String(error)}`, { cause: error });
}

/** fetch's own failure: undici throws a TypeError "fetch failed" with the socket error as cause. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}
