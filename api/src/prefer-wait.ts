import { ApiError } from './api-error.ts';

/**
 * Reads `wait=N` from a `Prefer` header (RFC 7240, e.g. `Prefer: respond-async, wait=10`).
 * Returns null when there is no wait preference. A wait that is not a whole number of
 * seconds is a 400: silently ignoring it would leave the client wondering why it was not
 * applied. Values above the limit are capped, as RFC 7240 lets a server do.
 */
export function parsePreferWait(header: string | undefined, maxWaitSeconds: number): number | null {
  if (header === undefined) {
    return null;
  }
  for (const preference of header.split(',')) {
    const [token = '', ...valueParts] = (preference.split(';')[0] ?? '').split('=');
    if (token.trim().toLowerCase() !== 'wait') {
      continue;
    }
    const value = valueParts
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (!/^\d{1,9}$/.test(value)) {
      throw new ApiError(
        'validation_failed',
        'headers/prefer wait must be a whole number of seconds, e.g. "wait=10"',
        [{ field: 'headers/prefer', message: 'wait must be a whole number of seconds' }],
      );
    }
    return Math.min(Number(value), maxWaitSeconds);
  }
  return null;
}
